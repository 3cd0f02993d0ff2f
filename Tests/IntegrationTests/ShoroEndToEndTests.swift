import Curl
import Foundation
import Glibc
import Messages
import Platform
import Postgres
import Redis
import Storage
import TestSupport
import Testing

/// The Shoro water-order bot end to end: Chat2Desk webhooks through nginx and the FastCGI responder into
/// Redis, `cron-drain` / `cron-outbox` processes started here, PostgreSQL, and the fake Chat2Desk.
///
/// Every test uses random client and message ids, so state left by other tests cannot interfere, and
/// resets the fake's faults first. Waits poll with a deadline; no fixed sleeps.
@Suite(.serialized, .stack)
struct ShoroEndToEndTests {
    // MARK: 1. Full order

    @Test func fullOrderIsStoredAndEveryReplyDeliveredInOrder() throws {
        let e2e = try E2EContext("full-order")
        defer { e2e.finish() }
        try e2e.startDrain()
        let client = TestStack.randomID()
        var expected: [String] = []
        var messageIDs: [Int64] = []
        for (text, replies) in e2e.texts.fullOrder() {
            messageIDs.append(try e2e.say(client, text))
            expected += replies
            try e2e.wait("\(expected.count) replies after \"\(text)\"") { try e2e.delivered(client).count >= expected.count }
            // Exactly the replies of this step, no more, in order.
            #expect(try e2e.deliveredTexts(client) == expected, "after \"\(text)\"")
        }
        try e2e.wait("the outbox rows marked sent") { try e2e.outbox(client).allSatisfy { $0.status == "sent" } }

        let delivered = try e2e.delivered(client)
        #expect(delivered.count == 6)
        #expect(delivered.last?.text == e2e.texts.orderAccepted)
        #expect(delivered.allSatisfy { $0.transport == "whatsapp" })
        let outbox = try e2e.outbox(client)
        #expect(outbox.map(\.text) == expected)
        #expect(outbox.allSatisfy { $0.status == "sent" && $0.attempts == 0 })
        // Each reply reached Chat2Desk tagged with its own outbox row, in row order.
        #expect(delivered.map(\.externalID) == outbox.map { "outbox-\($0.id)" })

        let orders = try e2e.orders(client)
        try #require(orders.count == 1)
        #expect(orders[0]["client_phone"] == E2ETexts.phoneNormalized)
        #expect(orders[0]["bottles_count"] == "5")
        #expect(orders[0]["delivery_address"] == E2ETexts.address)
        #expect(orders[0]["source"] == "chat2desk")
        #expect(orders[0]["status"] == "new")

        let outcomes = try e2e.outcomes(client)
        #expect(outcomes.count == 1)
        #expect(outcomes.first?["outcome"] == "completed")
        #expect(outcomes.first?["completed"] == "t")
        #expect(outcomes.first?["total_messages"] == "5")

        let logs = try e2e.messageLogs(client)
        #expect(logs.map(\.messageID) == messageIDs.map(String.init))
        #expect(logs.allSatisfy { $0.success })
        #expect(logs.map(\.state) == ["initial", "waitingAddress", "waitingPhone", "waitingBottles", "waitingConfirmation"])
        // The fake desk echoes every reply as an outbox hook: those queue behind and are handled (and ignored) too.
        try e2e.wait("the queue drained, echoes included") { try e2e.queued(String(client)).isEmpty }
    }

    // MARK: 2. Duplicate webhooks

    @Test func duplicateWebhooksMakeOneOrderAndNoDuplicateReplies() throws {
        let e2e = try E2EContext("duplicates")
        defer { e2e.finish() }
        try e2e.startDrain()
        let client = TestStack.randomID()
        var expected: [String] = []
        var bodies: [String] = []
        var messageIDs: [Int64] = []
        for (text, replies) in e2e.texts.fullOrder() {
            let messageID = TestStack.randomID()
            messageIDs.append(messageID)
            let body = e2eWebhookBody(clientID: client, messageID: messageID, text: text)
            bodies.append(body)
            let first = try e2e.postWebhook(body)
            let second = try e2e.postWebhook(body)  // Chat2Desk retrying the same message_id
            #expect(first.status == 200 && first.text.contains("\"queued\":true"), "\(first.text)")
            #expect(second.status == 200 && second.text.contains("\"duplicate\":true"), "\(second.text)")
            expected += replies
            try e2e.wait("\(expected.count) replies") { try e2e.delivered(client).count >= expected.count }
        }
        try e2e.wait("the outbox rows marked sent") { try e2e.outbox(client).allSatisfy { $0.status == "sent" } }

        // Late retries of every message, after the dialog finished: still duplicates.
        for body in bodies {
            let late = try e2e.postWebhook(body)
            #expect(late.status == 200 && late.text.contains("\"duplicate\":true"), "\(late.text)")
        }
        // A duplicate that slipped past the webhook's de-duplication (e.g. its Redis key was lost) must be
        // absorbed by the step's own idempotency: queue the "да" again, bypassing the dedupe key.
        let yes = Chat2DeskInbound(
            messageID: String(messageIDs[4]), clientID: String(client), text: "да", transport: "whatsapp",
            receivedAt: Date().timeIntervalSince1970)
        try E2EContext.queue.enqueue(
            String(decoding: try JSONEncoder().encode(yes), as: UTF8.self), conversation: String(client), dedupeID: nil,
            dedupeSeconds: 0, on: e2e.redis)
        try e2e.wait("the re-queued message to be handled") {
            try e2e.queued(String(client)).isEmpty && !e2e.isScheduled(String(client))
        }

        #expect(try e2e.orders(client).count == 1)
        #expect(try e2e.deliveredTexts(client) == expected)
        #expect(try e2e.outbox(client).count == expected.count)
        #expect(try e2e.messageLogs(client).count == 5)
        #expect(try e2e.outcomes(client).count == 1)
    }

    // MARK: 3. Outbox echoes

    /// The bot's own echo (an `outbox` hook with its `outbox-<id>` external id) is queued and changes nothing; a
    /// `to_client` message in an `inbox` hook is not queued at all. (Operators' messages: ShoroHandoffEndToEndTests.)
    @Test func ownOutboxEchoesAndToClientInboxHooksChangeNothing() throws {
        let e2e = try E2EContext("echo")
        defer { e2e.finish() }
        try e2e.startDrain()
        let client = TestStack.randomID()
        let echo = e2eWebhookBody(
            clientID: client, messageID: TestStack.randomID(), text: "Здравствуйте", hookType: "outbox", type: "to_client")
        let bodies = [
            (String(echo.dropLast()) + #","external_id":"outbox-\#(TestStack.randomID())"}"#, true),
            (e2eWebhookBody(clientID: client, messageID: TestStack.randomID(), text: "Здравствуйте", type: "to_client"), false),
        ]
        for (body, queued) in bodies {
            let response = try e2e.postWebhook(body)
            #expect(response.status == 200, "\(response.text)")
            #expect(response.text.contains("\"queued\":\(queued)"), "\(response.text)")
            #expect(!response.text.contains("duplicate"), "\(response.text)")
        }
        try e2e.wait("the echo handled") { try e2e.queued(String(client)).isEmpty && !e2e.isScheduled(String(client)) }

        // A real message from another client, sent after the echoes, shows the drainer was working meanwhile.
        let sentinel = TestStack.randomID()
        try e2e.say(sentinel, "Здравствуйте")
        try e2e.wait("the sentinel's replies") { try e2e.delivered(sentinel).count >= 2 }
        #expect(try e2e.messageLogs(client).isEmpty)
        #expect(try e2e.delivered(client).isEmpty)
        #expect(try e2e.db.query("SELECT 1 FROM shoro_dialogs WHERE client_id = $1", [String(client)]).isEmpty, "no dialog, no pause")
        #expect(try e2e.outbox(client).isEmpty)
    }

    // MARK: 4. kill -9 during the confirmation step

    /// Brings a client to the confirmation step, then kills the drainer with SIGKILL while it is inside the
    /// "order accepted" send (the fake holds the request and never applies it: `hang_then_drop`). The step
    /// had committed (order, outcome, reply row); a new drainer re-claims "да" once the 2 s lease expires,
    /// re-runs it idempotently and delivers the pending reply. Asserted: exactly one order and exactly one
    /// "accepted" reply.
    @Test func killedDuringConfirmationSendMakesOneOrderAndOneAcceptedReply() throws {
        let e2e = try E2EContext("kill-hang")
        defer { e2e.finish() }
        let settings = ["QUEUE_LEASE_SECONDS": "2", "HTTP_TIMEOUT_SECONDS": "10"]
        let first = try e2e.startDrain(settings)
        let client = TestStack.randomID()
        let expected = try e2e.orderUpToSummary(client)
        #expect(try e2e.deliveredTexts(client) == expected)

        try e2e.addFault(#"{"route":"/v1/messages","method":"POST","mode":"hang_then_drop","seconds":4,"times":1}"#)
        try e2e.say(client, "да")
        try e2e.wait("the drainer to be inside the accepted send") {
            try e2e.calls(client).contains { $0["fault"] as? String == "hang_then_drop" }
        }
        #expect(try e2e.orders(client).count == 1, "the step commits before its replies are sent")
        first.signal(SIGKILL)
        #expect(first.waitForExit(timeout: 5))
        #expect(first.exitStatus == 128 + SIGKILL)
        let killedAt = now()

        try e2e.startDrain(settings)
        try e2e.wait("the accepted reply from the second drainer") {
            try e2e.deliveredTexts(client).contains(e2e.texts.orderAccepted)
                && e2e.outbox(client).allSatisfy { $0.status == "sent" }
                && e2e.queued(String(client)).isEmpty
        }
        let recovery = now() - killedAt
        #expect(recovery < 8, "recovered \(recovery) s after the kill (lease 2 s)")

        #expect(try e2e.orders(client).count == 1)
        #expect(try e2e.deliveredTexts(client) == expected + [e2e.texts.orderAccepted])
        #expect(try e2e.deliveredTexts(client).filter { $0 == e2e.texts.orderAccepted }.count == 1)
        #expect(try e2e.outcomes(client).count == 1)
        let logs = try e2e.messageLogs(client)
        #expect(logs.count == 5 && logs.allSatisfy { $0.success })
    }

    /// The same kill, but the fake *applies* the held request after 3 s (`delay`): the provider got the reply
    /// while the killed drainer never learnt it. The new drainer re-sends the pending row at lease expiry (2 s),
    /// before the held request lands (3 s), so no check could see it: one duplicate "accepted" is unavoidable
    /// with at-least-once delivery. Asserted: exactly one order; 1...2 accepted replies; nothing else duplicated.
    @Test func killedDuringAppliedSendMakesOneOrder() throws {
        let e2e = try E2EContext("kill-delay")
        defer { e2e.finish() }
        let settings = ["QUEUE_LEASE_SECONDS": "2", "HTTP_TIMEOUT_SECONDS": "10"]
        let first = try e2e.startDrain(settings)
        let client = TestStack.randomID()
        let expected = try e2e.orderUpToSummary(client)

        try e2e.addFault(#"{"route":"/v1/messages","method":"POST","mode":"delay","seconds":3,"times":1}"#)
        try e2e.say(client, "да")
        try e2e.wait("the drainer to be inside the accepted send") {
            try e2e.calls(client).contains { $0["fault"] as? String == "delay" }
        }
        first.signal(SIGKILL)
        #expect(first.waitForExit(timeout: 5))
        try e2e.startDrain(settings)
        try e2e.wait("the accepted reply and the held request to complete", timeout: 15) {
            try e2e.deliveredTexts(client).contains(e2e.texts.orderAccepted)
                && e2e.outbox(client).allSatisfy { $0.status == "sent" }
                && e2e.queued(String(client)).isEmpty
                && e2e.calls(client).allSatisfy { !($0["status"] is NSNull) }
        }
        let texts = try e2e.deliveredTexts(client)
        let accepted = texts.filter { $0 == e2e.texts.orderAccepted }.count
        print("e2e kill during an applied send: \(accepted) \"accepted\" repl\(accepted == 1 ? "y" : "ies") delivered")
        #expect((1...2).contains(accepted), "accepted replies: \(accepted)")
        #expect(Array(texts.prefix(expected.count)) == expected)
        #expect(texts.count == expected.count + accepted)
        #expect(try e2e.orders(client).count == 1)
        #expect(try e2e.outcomes(client).count == 1)
    }

    /// Item 6 of the faults issue: a drainer steps 8 conversations in one batch (one reply each: the address
    /// answer) and is killed with SIGKILL while the fake holds its 8th send (never applied). Each outcome was
    /// stored before the next send, so the new drainer sends only the reply that was not delivered: every reply
    /// arrives exactly once, in order. (Before, the batch's "sent" marks were stored at its end and the 7 delivered
    /// replies were sent again.)
    @Test func killedInTheMiddleOfABatchResendsNothingThatWasDelivered() throws {
        let e2e = try E2EContext("kill-batch")
        defer { e2e.finish() }
        let settings = ["QUEUE_LEASE_SECONDS": "4", "HTTP_TIMEOUT_SECONDS": "10", "DRAIN_BATCH_SIZE": "8"]
        let script = e2e.texts.fullOrder()
        let clients = (0..<8).map { _ in TestStack.randomID() }
        let greeter = try e2e.startDrain(settings)
        for client in clients { try e2e.say(client, script[0].text) }
        try e2e.wait("the greetings") { try clients.allSatisfy { try e2e.delivered($0).count == script[0].replies.count } }
        e2e.stop(greeter)
        // Queued while no drainer runs, so the next one's first claim takes all eight as one batch.
        for client in clients { try e2e.say(client, script[1].text) }
        try e2e.addFault(#"{"route":"/v1/messages","method":"POST","mode":"hang_then_drop","seconds":6,"times":1,"skip":7}"#)
        let first = try e2e.startDrain(settings, concurrency: 1)
        try e2e.wait("the drainer to be inside the 8th send") {
            try clients.contains { try e2e.calls($0).contains { $0["fault"] as? String == "hang_then_drop" } }
        }
        first.signal(SIGKILL)
        #expect(first.waitForExit(timeout: 5))
        let before = script[0].replies.count
        let deliveredBeforeKill = try clients.map { try e2e.delivered($0).count - before }.reduce(0, +)
        #expect(deliveredBeforeKill == 7, "the batch's first 7 replies were delivered before the kill")

        try e2e.startDrain(settings, concurrency: 1)
        let expected = script[0].replies + script[1].replies
        try e2e.wait("every reply of the batch", timeout: 20) {
            try clients.allSatisfy { try e2e.delivered($0).count >= expected.count && e2e.queued(String($0)).isEmpty }
        }
        // Late duplicates would come from the second drainer's sends, which are done once the outbox is all sent.
        try e2e.wait("the outbox rows marked sent") { try clients.allSatisfy { try e2e.outbox($0).allSatisfy { $0.status == "sent" } } }
        for client in clients {
            #expect(try e2e.deliveredTexts(client) == expected, "client \(client): each reply exactly once, in order")
        }
        print("e2e kill in a batch: \(deliveredBeforeKill) of \(clients.count) replies delivered before the kill")
    }

    // MARK: 5. Ordering under concurrency

    /// 50 clients × 10 interleaved messages posted from 5 threads, drained by two processes of 5 workers.
    /// The script walks the dialog through corrections, so every message's reply depends on the one before:
    /// a message handled out of order, lost or twice shows up as a wrong reply sequence.
    @Test func repliesKeepEachClientsOrderUnderConcurrency() throws {
        let e2e = try E2EContext("ordering")
        defer { e2e.finish() }
        let clientCount = 50
        let perThread = 10
        let started = now()
        try e2e.startDrain(concurrency: 5)
        try e2e.startDrain(concurrency: 5)
        let clients = (0..<clientCount).map { _ in TestStack.randomID() }
        let texts = e2e.texts
        func script(_ index: Int) -> [(text: String, reply: [String])] {
            let address = "ул. Киевская \(index + 1), кв 3"
            let (b1, b2, b3) = (2 + index % 10, 20 + index % 10, 40 + index % 10)
            let summary = { (bottles: Int) in texts.summary(address: address, phone: E2ETexts.phoneDisplay, bottles: bottles) }
            return [
                ("Здравствуйте", [texts.greeting, texts.askAddress]), (address, [texts.askPhone]),
                (E2ETexts.phoneText, [texts.askBottles]), (String(b1), [summary(b1)]),
                ("нет", [texts.askCorrection]), ("3", [texts.askBottles]), (String(b2), [summary(b2)]),
                ("нет", [texts.askCorrection]), ("3", [texts.askBottles]), (String(b3), [summary(b3)]),
            ]
        }
        let scripts = (0..<clientCount).map(script)
        let sent = Locked([Int64: [Int64]]())
        let failures = Locked([String]())
        let webhookURL = e2e.nginxURL + "/webhook/chat2desk?token=" + e2e.secret
        let scriptTexts = scripts.map { $0.map(\.text) }
        runInParallel(clientCount / perThread) { thread in
            let http = TestStack.httpClient()
            let mine = (thread * perThread)..<((thread + 1) * perThread)
            for step in 0..<10 {
                for index in mine {
                    let messageID = TestStack.randomID()
                    let body = e2eWebhookBody(clientID: clients[index], messageID: messageID, text: scriptTexts[index][step])
                    let response = try? http.perform(
                        HTTPRequest(
                            method: "POST", url: webhookURL, headers: [("Content-Type", "application/json")],
                            body: Array(body.utf8), connectTimeout: 2, totalTimeout: 5))
                    if response?.status == 200, response?.text.contains("\"queued\":true") == true {
                        sent.with { $0[clients[index], default: []].append(messageID) }
                    } else {
                        failures.with {
                            $0.append("client \(index) step \(step): \(response?.status ?? -1) \(response?.text ?? "no answer")")
                        }
                    }
                }
            }
        }
        try #require(failures.snapshot.isEmpty, "\(failures.snapshot.prefix(5))")
        let posted = now() - started
        let expected = Dictionary(uniqueKeysWithValues: zip(clients, scripts.map { $0.flatMap(\.reply) }))
        let total = expected.values.map(\.count).reduce(0, +)
        let complete = try e2e.waitForProgress(target: total) {
            try e2e.deliveredByClient().filter { expected[$0.key] != nil }.values.map(\.count).reduce(0, +)
        }
        #expect(complete, "not all \(total) replies arrived (stalled)\n\(e2e.processLogs)")
        let elapsed = now() - started
        print(
            "e2e ordering: \(clientCount)×10 messages posted in \(String(format: "%.1f", posted)) s, all \(total) replies in \(String(format: "%.1f", elapsed)) s"
        )

        let delivered = try e2e.deliveredByClient()
        var wrong = 0
        for (index, client) in clients.enumerated() {
            let got = delivered[client]?.map(\.text) ?? []
            if got != expected[client] {
                wrong += 1
                if wrong <= 3 {
                    Issue.record("client #\(index) \(client): replies \(got.count), expected \(expected[client]?.count ?? 0); got \(got)")
                }
            }
        }
        #expect(wrong == 0, "\(wrong) of \(clientCount) clients got wrong, missing or duplicated replies")

        let list = "{" + clients.map(String.init).joined(separator: ",") + "}"
        let rows = try e2e.db.query(
            "SELECT client_id, message_id, success FROM message_logs WHERE source = 'chat2desk' AND client_id = ANY($1::text[]) ORDER BY id",
            [list])
        var logged: [Int64: [String]] = [:]
        for row in rows {
            #expect(row["success"] == "t")
            logged[Int64(row["client_id"] ?? "") ?? 0, default: []].append(row["message_id"] ?? "")
        }
        let sentIDs = sent.snapshot
        for client in clients {
            #expect(logged[client] == sentIDs[client]?.map(String.init), "client \(client): message_logs order differs from the send order")
        }
        #expect(rows.count == clientCount * 10)
    }

    // MARK: 6. Chat2Desk failures

    @Test func serverErrorsAreRetriedInlineAndDeliveredOnce() throws {
        let e2e = try E2EContext("status500")
        defer { e2e.finish() }
        try e2e.startDrain()
        let client = TestStack.randomID()
        try e2e.addFault(#"{"route":"/v1/messages","method":"POST","mode":"status","status":500,"times":2}"#)
        try e2e.say(client, "Здравствуйте")
        try e2e.wait("both replies") { try e2e.outbox(client).count == 2 && e2e.outbox(client).allSatisfy { $0.status == "sent" } }
        #expect(try e2e.deliveredTexts(client) == [e2e.texts.greeting, e2e.texts.askAddress])
        let calls = try e2e.calls(client)
        #expect(calls.map { $0["status"] as? Int } == [500, 500, 200, 200])
        #expect(try e2e.outbox(client).allSatisfy { $0.attempts == 0 }, "inline retries succeeded: no outbox round used")
    }

    @Test func rateLimitWaitsForRetryAfterAndDeliversOnce() throws {
        let e2e = try E2EContext("status429")
        defer { e2e.finish() }
        try e2e.startDrain()
        let client = TestStack.randomID()
        try e2e.addFault(#"{"route":"/v1/messages","method":"POST","mode":"retry_after","seconds":1,"times":1}"#)
        try e2e.say(client, "Здравствуйте")
        try e2e.wait("both replies") { try e2e.outbox(client).count == 2 && e2e.outbox(client).allSatisfy { $0.status == "sent" } }
        #expect(try e2e.deliveredTexts(client) == [e2e.texts.greeting, e2e.texts.askAddress])
        let calls = try e2e.calls(client)
        try #require(calls.count == 3, "\(calls.map { $0["status"] ?? "?" })")
        #expect(calls.map { $0["status"] as? Int } == [429, 200, 200])
        let gap = ((calls[1]["t_mono"] as? Double) ?? 0) - ((calls[0]["t_mono"] as? Double) ?? 0)
        #expect(gap >= 0.95, "the retry came \(gap) s after the 429 with Retry-After: 1")
    }

    /// The fake holds the request for 2 s and then applies it; the client gives up after 1 s. It must find its
    /// `external_id` through `GET /v1/messages` instead of sending a second copy.
    @Test func timeoutThatWasAppliedIsNotSentTwice() throws {
        let e2e = try E2EContext("timeout")
        defer { e2e.finish() }
        try e2e.startDrain(["HTTP_TIMEOUT_SECONDS": "1"])
        let client = TestStack.randomID()
        try e2e.addFault(#"{"route":"/v1/messages","method":"POST","mode":"delay","seconds":2,"times":1}"#)
        try e2e.say(client, "Здравствуйте")
        try e2e.wait("both replies") { try e2e.outbox(client).count == 2 && e2e.outbox(client).allSatisfy { $0.status == "sent" } }
        // Let the held request finish before counting (it is recorded with a status once answered).
        try e2e.wait("the held request to complete") { try e2e.calls(client).allSatisfy { !($0["status"] is NSNull) } }
        #expect(try e2e.deliveredTexts(client) == [e2e.texts.greeting, e2e.texts.askAddress])
        let greetingExternalID = try e2e.delivered(client).first?.externalID
        let posts = try e2e.calls(client).filter { ($0["json"] as? [String: Any])?["external_id"] as? String == greetingExternalID }
        #expect(posts.count == 1, "the timed-out greeting was POSTed \(posts.count) times")
        #expect(try !e2e.calls(client, method: "GET").isEmpty, "the client should have checked GET /v1/messages")
    }

    @Test func persistentFailureLeavesThePendingRowForTheOutboxJob() throws {
        let e2e = try E2EContext("outbox")
        defer { e2e.finish() }
        let drain = try e2e.startDrain(["SEND_RETRY_DELAYS": "0.1,0.1,0.1"])
        let client = TestStack.randomID()
        try e2e.addFault(#"{"route":"/v1/messages","method":"POST","mode":"status","status":500,"times":10}"#)
        try e2e.say(client, "Здравствуйте")
        try e2e.wait("the failed send recorded") {
            try e2e.outbox(client).first.map { $0.attempts >= 1 } ?? false && e2e.queued(String(client)).isEmpty
        }
        e2e.stop(drain)
        let pending = try e2e.outbox(client)
        #expect(pending.count == 2)
        #expect(pending.allSatisfy { $0.status == "pending" })
        #expect(pending.first?.attempts == 1)
        #expect(try e2e.delivered(client).isEmpty)
        #expect(try e2e.calls(client).count == 4, "1 attempt + 3 inline retries, then the conversation waits")
        #expect(try e2e.messageLogs(client).map(\.success) == [true], "the step itself succeeded")

        try e2e.fake("DELETE", "/_fake/faults")
        let outbox = try e2e.startOutbox(seconds: 3)
        try e2e.wait("the outbox job to deliver") { try e2e.outbox(client).allSatisfy { $0.status == "sent" } }
        #expect(outbox.waitForExit(timeout: 10), "cron-outbox --seconds 3 should exit by itself")
        #expect(outbox.exitStatus == 0, "\(outbox.logTail())")
        #expect(try e2e.deliveredTexts(client) == [e2e.texts.greeting, e2e.texts.askAddress])
        let rows = try e2e.outbox(client)
        #expect(rows.allSatisfy { $0.status == "sent" })
        #expect(rows.first?.attempts == 1)
    }

    // MARK: 7. Poison message

    @Test func poisonMessageIsDeadLetteredAndOthersAreProcessed() throws {
        let e2e = try E2EContext("poison")
        defer { e2e.finish() }
        let poisonClient = TestStack.randomID()
        let poison = "{not json at all \(TestStack.randomID())"
        try E2EContext.queue.enqueue(
            poison, conversation: String(poisonClient), dedupeID: nil, dedupeSeconds: 0, on: e2e.redis)
        // A valid message behind the poison in the same conversation, and other clients.
        try e2e.say(poisonClient, "Здравствуйте")
        let others = (0..<3).map { _ in TestStack.randomID() }
        for client in others { try e2e.say(client, "Здравствуйте") }

        let drain = try e2e.startDrain()
        let mine = { try E2EContext.queue.deadLetters(on: e2e.redis).filter { $0.conversation == String(poisonClient) } }
        try e2e.wait("the poison dead-lettered") { try !mine().isEmpty }
        try e2e.wait("every valid message answered") {
            try ([poisonClient] + others).allSatisfy { try e2e.delivered($0).count >= 2 }
        }
        let letters = try mine()
        try #require(letters.count == 1)
        #expect(letters[0].payload == poison)
        #expect(letters[0].attempts == 3)
        #expect(!letters[0].error.isEmpty)
        for client in [poisonClient] + others {
            #expect(try e2e.deliveredTexts(client) == [e2e.texts.greeting, e2e.texts.askAddress])
            #expect(try e2e.messageLogs(client).map(\.success) == [true])
        }
        try e2e.wait("the poison's conversation drained") { try e2e.queued(String(poisonClient)).isEmpty }

        // botctl dlq list / replay.
        let list = try e2e.botctl(["dlq", "list"])
        #expect(list.status == 0, "\(list.output)")
        #expect(list.output.contains("conversation \(poisonClient), 3 attempt(s)"), "\(list.output)")
        e2e.stop(drain)
        let replay = try e2e.botctl(["dlq", "replay", "--all"])
        #expect(replay.status == 0, "\(replay.output)")
        #expect(replay.output.contains(": replayed"), "\(replay.output)")
        #expect(try mine().isEmpty, "replay removes the dead letter")
        #expect(try e2e.queued(String(poisonClient)) == [poison], "replay puts the payload back in its conversation")
        // Still poison: a drainer dead-letters it again, once.
        try e2e.startDrain()
        try e2e.wait("the replayed poison dead-lettered again") { try !mine().isEmpty && e2e.queued(String(poisonClient)).isEmpty }
        let again = try mine()
        #expect(again.count == 1)
        #expect(again.first?.attempts == 3)
        #expect((again.first?.failedAt ?? 0) > letters[0].failedAt)
    }
    /// Conversations waiting together are stepped in one transaction. When PostgreSQL refuses one message, that
    /// whole transaction rolls back and its messages run one by one: the bad one fails alone (retried, then
    /// dead-lettered), the others are answered once.
    @Test func aMessageRefusedByTheDatabaseFailsAloneInItsBatch() throws {
        let e2e = try E2EContext("db-poison")
        defer { e2e.finish() }
        let marker = "db-poison-\(TestStack.randomID())"
        let trigger = "e2e_refuse_\(TestStack.randomID())"
        // Fault injection in the real database: a trigger that refuses this test's marked text, nothing else.
        try e2e.db.execute(
            script: """
                CREATE FUNCTION \(trigger)() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  IF NEW.text = '\(marker)' THEN RAISE EXCEPTION 'refused by the test trigger'; END IF;
                  RETURN NEW;
                END $$;
                CREATE TRIGGER \(trigger) BEFORE INSERT OR UPDATE ON message_logs FOR EACH ROW EXECUTE FUNCTION \(trigger)();
                """)
        defer { try? e2e.db.execute(script: "DROP TRIGGER IF EXISTS \(trigger) ON message_logs; DROP FUNCTION IF EXISTS \(trigger)();") }
        let poisonClient = TestStack.randomID()
        let others = (0..<5).map { _ in TestStack.randomID() }
        // All queued before the drain starts, so its first claim takes them together.
        try e2e.say(poisonClient, marker)
        for client in others { try e2e.say(client, "Здравствуйте") }

        let drain = try e2e.startDrain(concurrency: 1)
        let mine = { try E2EContext.queue.deadLetters(on: e2e.redis).filter { $0.conversation == String(poisonClient) } }
        try e2e.wait("every other message answered") { try others.allSatisfy { try e2e.delivered($0).count >= 2 } }
        try e2e.wait("the refused message dead-lettered") { try !mine().isEmpty }
        let letters = try mine()
        try #require(letters.count == 1)
        #expect(letters[0].attempts == 3)
        #expect(letters[0].error.contains("P0001"), "the trigger's RAISE (SQLSTATE P0001): \(letters[0].error)")
        #expect(try e2e.delivered(poisonClient).isEmpty, "a refused step commits nothing, so it sends nothing")
        for client in others {
            #expect(try e2e.deliveredTexts(client) == [e2e.texts.greeting, e2e.texts.askAddress])
            #expect(try e2e.messageLogs(client).map(\.success) == [true])
        }
        e2e.stop(drain)
        #expect(drain.output.contains("batch failed; running its messages one by one"), "the six were claimed together")
    }
}
