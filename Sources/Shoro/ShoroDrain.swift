public import BotCore
import Clients
import Curl
import FoundationEssentials
import Logging
import Messages
public import Platform
import Postgres
public import Storage

/// The Shoro side of `cron-drain`: batches of Chat2Desk messages of different clients, their dialog steps in one
/// transaction, then each client's replies in order. One per worker thread (connections are not shared).
public final class ShoroDrain {
    public let replies: ShoroReplies
    public let step: ShoroStep

    public init(replies: ShoroReplies, texts: ShoroTexts) {
        self.replies = replies
        self.step = ShoroStep(
            texts: texts, dialogTTLSeconds: Double(replies.shoro.dialogTTLSeconds), handoff: ShoroStep.Handoff(replies.shoro))
    }

    public var redis: LazyRedis { self.replies.context.engines.redis }
    public var postgres: LazyPostgres { self.replies.context.engines.postgres }

    /// Loads the three text files from `TEXTS_DIR`.
    public static func loadTexts(directory: String) throws -> ShoroTexts {
        try ShoroTexts(json: TextFiles.read(directory: directory, fileName: \ShoroLanguage.catalogFileName))
    }

    /// Handles queued messages of different conversations together: one transaction for all their dialog steps,
    /// then each conversation's replies, in order. One result per delivery. When the batch fails, each message
    /// runs alone, so one bad message fails only itself (and is retried or dead-lettered on its own).
    public func handle(_ deliveries: [InboundQueue.Delivery], extendLeases: () -> Void) -> [Swift.Result<Void, any Error>] {
        var results = [Swift.Result<Void, any Error>](repeating: .success(()), count: deliveries.count)
        var messages: [(index: Int, message: Chat2DeskInbound)] = []
        for (index, delivery) in deliveries.enumerated() {
            do {
                messages.append(
                    (
                        index,
                        try Chat2DeskInbound(queuePayload: delivery.payload)
                            ?? JSONDecoder().decode(Chat2DeskInbound.self, from: Data(delivery.payload.utf8))
                    ))
            } catch {
                results[index] = .failure(error)
            }
        }
        guard !messages.isEmpty else { return results }
        do {
            try self.steps(messages.map(\.message), extendLeases: extendLeases)
        } catch  where Outage.isOutage(error) {
            // PostgreSQL is unavailable: no message is at fault, and running them one by one would only wait longer.
            for (index, _) in messages { results[index] = .failure(error) }
        } catch  where messages.count > 1 {
            self.replies.context.logger.warning(
                "batch failed; running its messages one by one",
                metadata: [
                    "batch": "\(messages.count)", "error": "\(error)",
                ])
            for (index, message) in messages {
                results[index] = Swift.Result { try self.steps([message], extendLeases: extendLeases) }
            }
        } catch {
            results[messages[0].index] = .failure(error)
        }
        return results
    }

    /// The dialog steps of `messages` (distinct clients) in one transaction, then their replies.
    private func steps(_ messages: [Chat2DeskInbound], extendLeases: () -> Void) throws {
        let started = monotonicSeconds()
        // The send slots are asked for now and answered while PostgreSQL runs the steps.
        var reservations: [String: Chat2DeskClient.SlotReservation] = [:]
        for message in messages { reservations[message.clientID] = self.replies.client.reserveSlot() }
        defer { for reservation in reservations.values { self.replies.client.release(reservation) } }
        let stepped: [(result: ShoroStep.Result, claim: Outbox.Claim?)]
        do {
            // The steps' commit and the outbox claims (locks + pending replies) share one round trip.
            stepped = try self.replies.context.engines.postgres.with {
                try self.step.run(messages, now: self.replies.context.clock.now(), claimingOutbox: true, on: $0)
            }
        } catch {
            if messages.count == 1 && !Outage.isOutage(error) {
                _ = try? self.replies.context.engines.postgres.with {
                    ShoroStep.logFailure(messages[0], error: String(describing: error), on: $0)
                }
            }
            throw error
        }
        // The steps have committed: from here on the messages are done, whatever happens to the sends. Their
        // replies are outbox rows; if PostgreSQL goes away while they are sent (and their outcomes cannot be
        // stored), the outbox job sends what is still pending. Failing the messages now would re-run committed
        // steps, one by one, into the dead letters.
        let claims = stepped.compactMap(\.claim)
        var flushByConversation: [String: Outbox.FlushResult] = [:]
        do {
            let flushes =
                claims.isEmpty
                ? []
                : try self.replies.context.engines.postgres.with { connection in
                    try ShoroStep.outbox.deliver(
                        claims, policy: .afterStep(self.replies.context.config.outbound), on: connection, onAttempt: extendLeases,
                        send: { self.replies.client.send($0, heartbeat: extendLeases, reservation: reservations[$0.conversation]) })
                }
            for (claim, flush) in zip(claims, flushes) { flushByConversation[claim.conversation] = flush }
        } catch {
            self.replies.context.logger.warning(
                "replies left to the outbox: their outcomes could not be stored",
                metadata: [
                    "conversations": "\(claims.map(\.conversation))", "error": "\(error)",
                ])
            for claim in claims { flushByConversation[claim.conversation] = .deferred(delivered: 0, error: "\(error)") }
        }
        let milliseconds = Int((monotonicSeconds() - started) * 1000)
        for (message, (result, _)) in zip(messages, stepped) {
            // No flush: another process is sending this conversation's replies; it will send these too.
            let flush = flushByConversation[message.clientID] ?? .busy
            self.replies.context.logger.info(
                "message handled",
                metadata: [
                    "chat.id": "\(message.clientID)", "message.id": "\(message.messageID)",
                    "dialog.state": "\(result.stateBefore)->\(result.stateAfter)", "replies": "\(result.replies)",
                    "order.created": "\(result.orderCreated)", "duplicate": "\(result.alreadyProcessed)",
                    "outbox": "\(flush)", "batch": "\(messages.count)", "ms": "\(milliseconds)",
                ])
        }
    }
}
