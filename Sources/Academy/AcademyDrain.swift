public import BotCore
public import Clients
import Curl
import FoundationEssentials
public import Logging
import Messages
public import Platform
import Postgres
public import Storage

/// The Academy side of `cron-drain`: one message of the Academy queue at a time — a Tilda lead recorded with its
/// email chain, or a Telegram update run through the dialog, its replies sent in order. One per worker thread.
public final class AcademyDrain {
    public let replies: AcademyReplies
    public let dialog: AcademyDialog
    /// The dialog's external work (slots, booking, AI, voice).
    public let services: AcademyServices
    let store = LeadStore()
    let jobs = DelayedJobs()

    public init(replies: AcademyReplies, dialog: AcademyDialog, services: AcademyServices) {
        self.replies = replies
        self.dialog = dialog
        self.services = services
    }

    public var redis: LazyRedis { self.replies.context.engines.redis }

    var chainPolicy: EmailChainPolicy { EmailChainPolicy(self.replies.academy.email) }

    /// Handles one message from the Academy queue.
    public func handle(_ delivery: InboundQueue.Delivery, extendLease: () -> Void) throws {
        let inbound = try JSONDecoder().decode(AcademyQueueMessage.self, from: Data(delivery.payload.utf8))
        switch inbound {
        case .tilda(let submission):
            let result = try self.replies.context.engines.postgres.with { connection in
                try connection.transaction { connection in
                    try self.store.recordTilda(
                        submission, chain: self.chainPolicy, jobs: self.jobs, now: self.replies.context.clock.now(), on: connection)
                }
            }
            self.replies.context.logger.info(
                "tilda lead recorded",
                metadata: [
                    "lead.id": "\(result.leadID)", "lead.created": "\(result.created)", "duplicate": "\(result.duplicate)",
                    "chain.scheduled": "\(result.scheduled?.rawValue ?? "none")", "tilda.tranid": "\(submission.tranid)",
                    "email": "\(Redact.email(submission.email ?? ""))", "phone": "\(Redact.phone(submission.phone ?? ""))",
                ])
        case .telegram(let update):
            try self.handleTelegram(update, attempt: delivery.attempt, extendLease: extendLease)
        }
    }

    /// One Telegram update: the dialog step (one transaction), then the replies, in order per chat.
    /// On the last delivery attempt a failing step still tells the user what to do (the global error handler).
    func handleTelegram(_ update: TelegramInbound, attempt: Int, extendLease: () -> Void) throws {
        let step = AcademyTelegramStep(
            dialog: self.dialog, services: self.services, managerChatID: self.replies.academy.managerTelegramChatID, jobs: self.jobs)
        let started = monotonicSeconds()
        let result: AcademyTelegramStep.Result
        do {
            // The step's calls (OpenAI up to 45 s, Whisper up to 120 s, Zoom, Google) outlast a lease: every transfer
            // and retry wait on this thread extends it, so no other worker re-runs the update meanwhile.
            result = try TransferHeartbeat.during(extendLease) {
                try self.replies.context.engines.postgres.with { try step.run(update, now: self.replies.context.clock.now(), on: $0) }
            }
        } catch {
            self.replies.context.logger.error(
                "telegram step failed",
                metadata: [
                    "tg.chat": "\(update.chatID)", "tg.update": "\(update.updateID)", "attempt": "\(attempt)", "error": "\(error)",
                ])
            if attempt >= self.replies.context.config.queue.maxAttempts && !Outage.isOutage(error) {
                _ = try? self.replies.context.engines.postgres.with { connection in
                    // In the user's language when their session says which; Russian otherwise.
                    let stored = try? connection.query(
                        "SELECT state ->> 'language' AS language FROM academy_sessions WHERE chat_id = $1 LIMIT 1",
                        [String(update.chatID)]
                    ).first?["language"]
                    let language = stored.flatMap { $0 }.flatMap { AcademyLanguage(rawValue: $0) } ?? .ru
                    try connection.transaction { try step.queueErrorMessage(update, language: language, on: $0) }
                }
                _ = try? self.replies.flush(chats: [update.chatID], extendLease: extendLease)
            }
            throw error
        }
        // The user's chat is flushed even when the update had been handled already: a drainer that died after
        // the commit left its replies in the outbox, and this re-delivery is the quickest way to send them.
        // The step has committed, so the update is done even if the sends cannot be finished now: what is still
        // pending stays in the outbox for the outbox job (re-running a committed step would change nothing).
        var delivered = 0
        do {
            delivered = try self.replies.flush(chats: Array(Set(result.chats + [update.chatID])).sorted(), extendLease: extendLease)
        } catch {
            self.replies.context.logger.warning(
                "replies left to the outbox: their outcomes could not be stored",
                metadata: [
                    "tg.chat": "\(update.chatID)", "tg.update": "\(update.updateID)", "error": "\(error)",
                ])
        }
        self.replies.context.logger.info(
            "telegram update handled",
            metadata: [
                "tg.chat": "\(update.chatID)", "tg.update": "\(update.updateID)", "duplicate": "\(result.alreadyProcessed)",
                "ignored": "\(result.ignored ?? "no")", "dialog.step": "\(result.stepBefore)->\(result.stepAfter)",
                "replies": "\(result.replies)", "delivered": "\(delivered)", "ms": "\(Int((monotonicSeconds() - started) * 1000))",
            ])
    }
}
