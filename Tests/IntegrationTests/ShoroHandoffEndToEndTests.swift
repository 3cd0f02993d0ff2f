import Curl
import Foundation
import Glibc
import Messages
import Postgres
import TestSupport
import Testing

/// The Shoro bot beside the people at the Chat2Desk desk, end to end through nginx: the fake desk echoes every
/// message sent through it as an `outbox` hook (as the real one does), scripts operators' messages and
/// `close_dialog`; drainers, PostgreSQL and `botctl` are the real ones.
///
/// An extension of `ShoroEndToEndTests`, so these run one at a time with its other fault-injecting tests: drainers
/// of any suite serve any conversation through the shared fake, whose faults are taken by whichever send comes first.
extension ShoroEndToEndTests {
    /// The pause's reason stored in the client's dialog, nil when the bot is answering.
    static func pauseReason(_ e2e: E2EContext, _ client: Int64) throws -> String? {
        try e2e.db.query("SELECT dialog->'pause'->>'reason' AS reason FROM shoro_dialogs WHERE client_id = $1", [String(client)])
            .first?["reason"]
    }

    /// Waits until `messageID` was handled (its message_logs row exists).
    static func waitHandled(_ e2e: E2EContext, _ client: Int64, _ messageID: String) throws {
        try e2e.wait("message \(messageID) handled") { try e2e.messageLogs(client).contains { $0.messageID == messageID && $0.success } }
    }

    /// The operator's message through the fake desk; returns its Chat2Desk message id.
    static func operatorSays(_ e2e: E2EContext, _ client: Int64, _ text: String) throws -> String {
        let answer = try e2e.fake("POST", "/_fake/operator_message", json: #"{"client_id":\#(client),"text":\#(JSONText.quote(text))}"#)
        return String(e2eInt((answer as? [String: Any])?["message_id"]) ?? -1)
    }

    /// Closes the client's dialog in the fake desk; returns the id the bot logs the hook under.
    static func closeDialog(_ e2e: E2EContext, _ client: Int64) throws -> String {
        let answer = try e2e.fake("POST", "/_fake/close_dialog", json: #"{"client_id":\#(client)}"#)
        return "close_dialog:\(client):\(e2eInt((answer as? [String: Any])?["dialog_id"]) ?? -1)"
    }

    /// The hooks the fake posted for the client, once each has an answer; each answer must be nginx + the
    /// responder's 200.
    static func hooksAccepted(_ e2e: E2EContext, _ client: Int64) throws -> [[String: Any]] {
        var hooks: [[String: Any]] = []
        try e2e.wait("the hooks' answers") {
            hooks = (try e2e.fake("GET", "/_fake/hooks?client_id=\(client)") as? [[String: Any]]) ?? []
            return hooks.allSatisfy { $0["status"] is NSNumber || $0["error"] is String }
        }
        for hook in hooks { #expect(e2eInt(hook["status"]) == 200, "hook \(hook)") }
        return hooks
    }

    @Test func anOperatorsMessageSilencesTheBotUntilCloseDialogThenItResumesAtItsStep() throws {
        let e2e = try E2EContext("operator-takeover")
        defer { e2e.finish() }
        try e2e.startDrain()
        let client = TestStack.randomID()
        let texts = e2e.texts
        try e2e.say(client, "Здравствуйте")
        try e2e.say(client, E2ETexts.address)
        let before = [texts.greeting, texts.askAddress, texts.askPhone]
        try e2e.wait("the phone question") { try e2e.deliveredTexts(client) == before }
        // The bot's own three echoes came back through nginx and were recognised: no pause.
        try e2e.wait("the echoes") { try Self.hooksAccepted(e2e, client).count == 3 }
        let operatorID = try Self.operatorSays(e2e, client, "Здравствуйте, я менеджер Айгуль, помогу с заказом.")
        try Self.waitHandled(e2e, client, operatorID)
        #expect(try Self.pauseReason(e2e, client) == "operator_replied")

        // While the operator has the conversation: logged, answered by nobody but the operator.
        let paused = try e2e.say(client, E2ETexts.phoneText)
        let alsoPaused = try e2e.say(client, "позовите оператора")
        try Self.waitHandled(e2e, client, String(alsoPaused))
        #expect(try e2e.deliveredTexts(client) == before)
        #expect(try e2e.notes(client).isEmpty, "a request for a person while one has the conversation notifies nobody")
        let logs = try e2e.messageLogs(client)
        #expect(logs.first { $0.messageID == String(paused) }?.state == "paused:waitingPhone")
        #expect(logs.first { $0.messageID == operatorID }?.state == "operator")
        let shown = try e2e.botctl(["conversation", "show", "shoro", String(client)])
        #expect(shown.status == 0 && shown.output.contains("paused (operator_replied)"), "\(shown.output)")
        #expect(shown.output.contains("state waitingPhone") && shown.output.contains("[paused:waitingPhone]"), "\(shown.output)")

        let closeID = try Self.closeDialog(e2e, client)
        try Self.waitHandled(e2e, client, closeID)
        #expect(try Self.pauseReason(e2e, client) == nil)
        // Resumed at the step it was in: the phone is asked for, and taken.
        try e2e.say(client, E2ETexts.phoneText)
        try e2e.wait("the bottles question after the hand-back") { try e2e.deliveredTexts(client) == before + [texts.askBottles] }
        #expect(try Self.hooksAccepted(e2e, client).count == 6, "4 echoes of the bot's replies, the operator's message, close_dialog")
        #expect(try e2e.botctl(["conversation", "show", "shoro", String(client)]).output.contains("not paused"))

        // By hand: pause, silence, resume, answer; reset starts over.
        #expect(try e2e.botctl(["conversation", "pause", "shoro", String(client), "--minutes", "30"]).status == 0)
        #expect(try Self.pauseReason(e2e, client) == "manual")
        try Self.waitHandled(e2e, client, String(try e2e.say(client, "5")))
        #expect(try e2e.deliveredTexts(client).count == 4)
        #expect(try e2e.botctl(["conversation", "resume", "shoro", String(client)]).output.contains("resumed"))
        try e2e.say(client, "5")
        try e2e.wait("the summary after resume") { try e2e.deliveredTexts(client).count == 5 }
        #expect(try e2e.deliveredTexts(client).last == texts.summary(address: E2ETexts.address, phone: E2ETexts.phoneDisplay, bottles: 5))
        #expect(try e2e.botctl(["conversation", "reset", "shoro", String(client)]).output.contains("starts over"))
        try e2e.say(client, "да")
        try e2e.wait("a new dialog after the reset") { try e2e.deliveredTexts(client).count == 7 }
        #expect(try e2e.deliveredTexts(client).suffix(2) == [texts.greeting, texts.askAddress])
        #expect(try e2e.orders(client).isEmpty)
        // Bad input changes nothing.
        #expect(try e2e.botctl(["conversation", "show", "academy", String(client)]).status != 0)
        #expect(try e2e.botctl(["conversation", "pause", "shoro", "abc"]).status != 0)
    }

    /// The echo may reach the bot before the send's response (the fake posts it first here) and without the bot's
    /// external id (whether real hooks carry it is not documented), and replies retried by cron-outbox race their
    /// echoes with the drainer: none of them may pause the bot.
    @Test func theBotsOwnEchoesNeverPauseItEvenWhenTheyOvertakeTheSendsResponse() throws {
        let e2e = try E2EContext("own-echoes")
        defer {
            e2e.finish()
            _ = try? e2e.fake("POST", "/_fake/config", json: #"{"echo_timing":"after_response","external_id_in_hooks":true}"#)
        }
        try e2e.fake("POST", "/_fake/config", json: #"{"echo_timing":"before_response","external_id_in_hooks":false}"#)
        try e2e.startDrain(["SEND_RETRY_DELAYS": "0.05"])
        try e2e.startOutbox(seconds: 40)
        let client = TestStack.randomID()
        var expected: [String] = []
        for (index, (text, replies)) in e2e.texts.fullOrder().enumerated() {
            if index == 2 {
                // This reply fails its inline attempts and is sent by cron-outbox, racing its echo with the drainer.
                try e2e.addFault(#"{"route":"/v1/messages","method":"POST","mode":"status","status":502,"times":2}"#)
            }
            try e2e.say(client, text)
            expected += replies
            try e2e.wait("\(expected.count) replies after \"\(text)\"", timeout: 20) { try e2e.delivered(client).count >= expected.count }
            #expect(try e2e.deliveredTexts(client) == expected)
        }
        try e2e.wait("every echo handled") {
            try Self.hooksAccepted(e2e, client).count >= 7 && e2e.queued(String(client)).isEmpty
        }
        #expect(try Self.pauseReason(e2e, client) == nil)
        #expect(try e2e.orders(client).count == 1)
        #expect(try e2e.messageLogs(client).allSatisfy { $0.state != "operator" && !($0.state ?? "").hasPrefix("paused") })
        // The ids Chat2Desk returned are stored with the rows they answered.
        let ids = try e2e.db.query(
            "SELECT count(*) AS n FROM outbox WHERE conversation = $1 AND provider_message_id IS NOT NULL", [String(client)])
        #expect(Int(ids.first?["n"] ?? "") ?? 0 >= 5)
    }

    @Test func askingForAPersonIsAcknowledgedPausesTheBotAndNotifiesTheTeamOnce() throws {
        let e2e = try E2EContext("human-request")
        defer { e2e.finish() }
        try e2e.startDrain()
        let client = TestStack.randomID()
        try e2e.say(client, "Здравствуйте")
        try e2e.wait("the greeting") { try e2e.delivered(client).count == 2 }
        try e2e.say(client, "позовите оператора")
        let ack = e2e.texts.render("humanRequested")
        try e2e.wait("the acknowledgement") { try e2e.deliveredTexts(client).last == ack }
        try e2e.wait("the note to the team") { try e2e.notes(client).count == 1 }
        #expect(try e2e.notes(client) == [e2e.texts.render("teamHumanRequested")])
        #expect(try Self.pauseReason(e2e, client) == "human_requested")
        // Asking again, or anything else, while waiting: silence, and no second note.
        let again = try e2e.say(client, "ОПЕРАТОР!!!")
        let more = try e2e.say(client, E2ETexts.address)
        try Self.waitHandled(e2e, client, String(again))
        try Self.waitHandled(e2e, client, String(more))
        #expect(try e2e.deliveredTexts(client) == [e2e.texts.greeting, e2e.texts.askAddress, ack])
        #expect(try e2e.notes(client).count == 1)
        // The manager answers and closes the dialog; the bot takes over where it was.
        try Self.waitHandled(e2e, client, try Self.operatorSays(e2e, client, "Слушаю вас!"))
        try Self.waitHandled(e2e, client, try Self.closeDialog(e2e, client))
        try e2e.say(client, E2ETexts.address)
        try e2e.wait("the phone question") { try e2e.deliveredTexts(client).last == e2e.texts.askPhone }
    }

    /// Kill -9 right after the order commits, while the dispatch note is held by the desk (which applies it 3 s
    /// later). The next drainer (after the 5 s lease) finds the note already there by its external id and does
    /// not post it again: one note per order.
    @Test func anOrderReachesDispatchOnceEvenWhenTheDrainerIsKilledRightAfterTheOrderCommits() throws {
        let e2e = try E2EContext("dispatch-kill")
        defer { e2e.finish() }
        let settings = ["QUEUE_LEASE_SECONDS": "5", "HTTP_TIMEOUT_SECONDS": "10"]
        let first = try e2e.startDrain(settings)
        let client = TestStack.randomID()
        let expected = try e2e.orderUpToSummary(client)
        // The first POST after "да" is the accepted reply, the second the dispatch note: hold that one.
        try e2e.addFault(#"{"route":"/v1/messages","method":"POST","mode":"delay","seconds":3,"times":1,"skip":1}"#)
        try e2e.say(client, "да")
        try e2e.wait("the drainer to be inside the dispatch send") {
            try e2e.calls(client).contains { $0["fault"] as? String == "delay" }
        }
        let orders = try e2e.orders(client)
        try #require(orders.count == 1, "the order committed before its sends")
        first.signal(SIGKILL)
        #expect(first.waitForExit(timeout: 5))
        #expect(first.exitStatus == 128 + SIGKILL)

        try e2e.startDrain(settings)
        let orderID = try #require(try e2e.db.query("SELECT id FROM orders WHERE chat2desk_client_id = $1", [String(client)]).first?["id"])
        try e2e.wait("the dispatch row sent by the next drainer", timeout: 25) {
            try e2e.db.query(
                "SELECT 1 FROM outbox WHERE conversation = $1 AND source_key LIKE 'dispatch:%' AND status = 'sent'", [String(client)]
            ).count == 1 && e2e.queued(String(client)).isEmpty
        }
        let notes = try e2e.notes(client)
        #expect(notes.count == 1, "\(notes)")
        let note = try #require(notes.first)
        #expect(
            note.hasPrefix("Новый заказ №\(orderID): \(E2ETexts.address), тел. \(E2ETexts.phoneDisplay), бутылей: 5, время заказа: "),
            "\(note)")
        #expect(!note.contains("{"), "\(note)")
        #expect(try e2e.deliveredTexts(client).filter { $0 == e2e.texts.orderAccepted }.count == 1)
        let listed = try e2e.botctl(["orders", "--json", "--limit", "200"])
        #expect(
            listed.output.split(separator: "\n").contains {
                $0.contains("\"id\":\"\(orderID)\"") && $0.contains("\"dispatch\":\"notified\"")
            },
            "\(listed.output.suffix(600))")
    }

    @Test func whereIsMyOrderGetsTheLastOrdersStatusInsteadOfANewDialog() throws {
        let e2e = try E2EContext("order-status")
        defer { e2e.finish() }
        try e2e.startDrain()
        let client = TestStack.randomID()
        var expected: [String] = []
        for (text, replies) in e2e.texts.fullOrder() {
            try e2e.say(client, text)
            expected += replies
        }
        try e2e.wait("the order") { try e2e.delivered(client).count >= expected.count }
        let orderID = try #require(try e2e.db.query("SELECT id FROM orders WHERE chat2desk_client_id = $1", [String(client)]).first?["id"])
        try e2e.say(client, "где мой заказ?")
        let new = e2e.texts.render("orderStatus.new", ["order": orderID, "bottles": "5"])
        try e2e.wait("the status") { try e2e.deliveredTexts(client).last == new }

        // Bad input changes nothing; a good one is what the next question reads.
        #expect(try e2e.botctl(["orders", "set-status", orderID, "lost"]).status != 0)
        #expect(try e2e.botctl(["orders", "set-status", "999999999999", "delivered"]).status != 0)
        #expect(try e2e.orders(client).first?["status"] == "new")
        let marked = try e2e.botctl(["orders", "set-status", orderID, "delivered"])
        #expect(marked.status == 0 && marked.output.contains("delivered"))
        try e2e.say(client, "Где мой заказ")
        let delivered = e2e.texts.render("orderStatus.delivered", ["order": orderID, "bottles": "5"])
        try e2e.wait("the delivered status") { try e2e.deliveredTexts(client).last == delivered }
        #expect(try e2e.deliveredTexts(client) == expected + [new, delivered])
        // No new dialog was opened: the next ordinary message is a returning customer's new order.
        #expect(
            try e2e.db.query("SELECT dialog->>'state' AS state FROM shoro_dialogs WHERE client_id = $1", [String(client)]).first?["state"]
                == "completed")
    }

    /// `botctl chat shoro` run as a newcomer would, with a pipe: `/operator` pauses the bot (a line says so), the
    /// customer's next line gets no answer, `/close` hands the conversation back and the dialog goes on.
    @Test func theChatSimulatorShowsThePauseAndSimulatesTheDesk() throws {
        let e2e = try E2EContext("chat-desk")
        defer { e2e.finish() }
        try e2e.startDrain()
        let client = TestStack.randomID()
        let lines = [
            "Здравствуйте", E2ETexts.address, "/operator Добрый день, я менеджер", E2ETexts.phoneText, "/close", E2ETexts.phoneText,
        ]
        let input = lines.joined(separator: "\n") + "\n"
        let chat = try ChildProcess(
            "/bin/sh",
            [
                "-c", #"printf '%s' "$1" | "$2" chat shoro --client "$3" --timeout 10"#, "sh", input,
                e2e.binDirectory + "/botctl", String(client),
            ],
            environment: ["PATH": "/usr/bin:/bin", "CHATBOTS_ENV_FILE": e2e.stackDirectory + "/stack.env"],
            name: "chat-desk", logPath: e2e.stackDirectory + "/log/e2e-chat-desk-\(client % 100_000).log")
        #expect(chat.waitForExit(timeout: 90))
        #expect(chat.exitStatus == 0, "\(chat.output)")
        let output = chat.output.split(separator: "\n").map(String.init)
        let texts = e2e.texts
        #expect(output.contains("operator> Добрый день, я менеджер"), "\(output)")
        #expect(output.contains { $0.hasPrefix("(paused (operator_replied) since ") }, "\(output)")
        #expect(output.contains("desk> (the operator closed the dialog)"), "\(output)")
        let replies = output.filter { $0.hasPrefix("bot> ") }.map { String($0.dropFirst(5)) }
        // The phone typed while paused got nothing; the one after /close got the next question.
        #expect(replies == [texts.greeting, texts.askAddress, texts.askPhone, texts.askBottles], "\(output)")
    }
}
