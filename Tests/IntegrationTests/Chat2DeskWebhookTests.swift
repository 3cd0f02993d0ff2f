import Curl
import Foundation
import Platform
import Redis
import TestSupport
import Testing

/// `POST /webhook/chat2desk` through nginx and the `fcgi-chat2desk` responder into the Redis queue.
///
/// Every test uses its own random client and message ids and checks that client's conversation list
/// (`q:{shoro}:c:<client>`) and the de-duplication key, not the global depth, which other tests change
/// concurrently. Before posting, a test "parks" its conversation in the schedule ten minutes ahead: the
/// enqueue script only adds a conversation that is not scheduled yet (`ZADD NX`), so a drainer running in
/// another test cannot claim these messages while they are being checked. Each test removes its
/// conversation again at the end.
@Suite("Chat2Desk webhook edge through nginx", .stack)
struct Chat2DeskWebhookTests {
    private static func conversationKey(_ client: Int64) -> String { "q:{shoro}:c:\(client)" }
    private static func seenKey(_ message: Int64) -> String { "q:{shoro}:seen:\(message)" }

    private static func post(
        _ path: String, contentType: String? = "application/json", headers: [(name: String, value: String)] = [], body: String
    ) throws -> HTTPResponse {
        var all = headers
        if let contentType { all.append(("Content-Type", contentType)) }
        return try TestStack.nginx("POST", path, headers: all, body: Array(body.utf8))
    }

    private static func tokenPath() throws -> String { "/webhook/chat2desk?token=" + (try TestStack.webhookSecret()) }

    /// An inbound client message as Chat2Desk sends it.
    private static func inbound(message: Int64, client: Int64, text: String = "Здравствуйте, нужна вода", extra: String = "") -> String {
        #"{"message_id":\#(message),"type":"from_client","text":"\#(text)","client_id":\#(client),"hook_type":"inbox","#
            + #""transport":"telegram","channel_id":1,"photo":null,"coordinates":null\#(extra)}"#
    }

    /// The messages waiting in one conversation, and removes them from the queue afterwards (keeping its counters right).
    private static func queued(_ client: Int64, on redis: RedisConnection) throws -> [[String: Any]] {
        let items = try redis.command(["LRANGE", Self.conversationKey(client), "0", "-1"]).array ?? []
        return items.compactMap { $0.string.flatMap { TestStack.jsonObject(Array($0.utf8)) } }
    }

    private static let cleanup = RedisScript(
        """
        local n = redis.call('LLEN', KEYS[1])
        redis.call('DEL', KEYS[1])
        redis.call('ZREM', KEYS[2], ARGV[1])
        redis.call('ZREM', KEYS[4], ARGV[1])
        if n > 0 then redis.call('DECRBY', KEYS[3], n) end
        return n
        """)

    /// Schedules the conversation ten minutes ahead, so no drainer claims it during the test.
    private static func park(_ client: Int64, on redis: RedisConnection) throws -> Int64 {
        let due = Int64(Date().timeIntervalSince1970 * 1000) + 600_000
        try redis.command(["ZADD", "q:{shoro}:sched", String(due), String(client)])
        return due
    }

    /// Takes the test's conversation out of the shared queue again.
    private static func removeConversation(_ client: Int64, on redis: RedisConnection) {
        _ = try? redis.evaluate(
            Self.cleanup, keys: [Self.conversationKey(client), "q:{shoro}:sched", "q:{shoro}:depth", "q:{shoro}:since"],
            arguments: [String(client)])
    }

    private static func expectJSON(
        _ response: HTTPResponse, status: Int, error: String? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(response.status == status, "body: \(response.text)", sourceLocation: sourceLocation)
        #expect(response.header("content-type") == "application/json", sourceLocation: sourceLocation)
        let json = TestStack.jsonObject(response.body)
        #expect(json != nil, "not JSON: \(response.text)", sourceLocation: sourceLocation)
        if let error { #expect(json?["error"] as? String == error, "body: \(response.text)", sourceLocation: sourceLocation) }
    }

    @Test func queuesAMessageOnceAndReportsTheDuplicate() throws {
        let redis = try TestStack.redis()
        let client = TestStack.randomID()
        let message = TestStack.randomID()
        defer { Self.removeConversation(client, on: redis) }
        let parkedUntil = try Self.park(client, on: redis)

        let first = try Self.post(Self.tokenPath(), body: Self.inbound(message: message, client: client))
        Self.expectJSON(first, status: 200)
        let firstJSON = TestStack.jsonObject(first.body) ?? [:]
        #expect(firstJSON["ok"] as? Bool == true)
        #expect(firstJSON["queued"] as? Bool == true)
        #expect(firstJSON["duplicate"] == nil)

        let second = try Self.post(Self.tokenPath(), body: Self.inbound(message: message, client: client, text: "retry"))
        Self.expectJSON(second, status: 200)
        let secondJSON = TestStack.jsonObject(second.body) ?? [:]
        #expect(secondJSON["queued"] as? Bool == false)
        #expect(secondJSON["duplicate"] as? Bool == true)

        let waiting = try Self.queued(client, on: redis)
        #expect(waiting.count == 1, "conversation list: \(waiting)")
        let payload = try #require(waiting.first)
        #expect(payload["message_id"] as? String == String(message))
        #expect(payload["client_id"] as? String == String(client))
        #expect(payload["text"] as? String == "Здравствуйте, нужна вода")
        #expect(payload["transport"] as? String == "telegram")
        #expect(payload["has_media"] as? Bool == false)
        #expect(try redis.command(["EXISTS", Self.seenKey(message)]) == .integer(1))
        let ttl = try redis.command(["TTL", Self.seenKey(message)]).integer ?? -1
        #expect(ttl > 0, "the de-duplication key has no expiry")
        // Enqueueing did not move an already scheduled conversation (a retry's backoff must hold).
        #expect(try redis.command(["ZSCORE", "q:{shoro}:sched", String(client)]).integer == parkedUntil)
    }

    @Test func theSecretIsAcceptedInThePathTheQueryOrAHeader() throws {
        let redis = try TestStack.redis()
        let secret = try TestStack.webhookSecret()
        let client = TestStack.randomID()
        defer { Self.removeConversation(client, on: redis) }
        _ = try Self.park(client, on: redis)
        let messages = (0..<4).map { _ in TestStack.randomID() }
        let responses = [
            try Self.post("/webhook/chat2desk/\(secret)", body: Self.inbound(message: messages[0], client: client)),
            try Self.post("/webhook/chat2desk?token=\(secret)", body: Self.inbound(message: messages[1], client: client)),
            try Self.post(
                "/webhook/chat2desk", headers: [("X-Webhook-Secret", secret)], body: Self.inbound(message: messages[2], client: client)),
            try Self.post(
                "/webhook/chat2desk?other=1&token=\(secret)", contentType: "Application/JSON; charset=utf-8",
                body: Self.inbound(message: messages[3], client: client)),
        ]
        for (index, response) in responses.enumerated() {
            Self.expectJSON(response, status: 200)
            #expect(TestStack.jsonObject(response.body)?["queued"] as? Bool == true, "request \(index): \(response.text)")
        }
        // One conversation, in arrival order.
        #expect(try Self.queued(client, on: redis).compactMap { $0["message_id"] as? String } == messages.map(String.init))
    }

    @Test func rejectedRequestsQueueNothing() throws {
        let redis = try TestStack.redis()
        let secret = try TestStack.webhookSecret()
        let client = TestStack.randomID()
        let message = TestStack.randomID()
        defer { Self.removeConversation(client, on: redis) }
        _ = try Self.park(client, on: redis)
        let body = Self.inbound(message: message, client: client)
        let wrong = String(secret.dropLast()) + (secret.last == "x" ? "y" : "x")

        Self.expectJSON(try Self.post("/webhook/chat2desk?token=\(wrong)", body: body), status: 403, error: "forbidden")
        Self.expectJSON(try Self.post("/webhook/chat2desk?token=\(secret)x", body: body), status: 403, error: "forbidden")
        Self.expectJSON(try Self.post("/webhook/chat2desk?token=\(secret.prefix(4))", body: body), status: 403, error: "forbidden")
        Self.expectJSON(try Self.post("/webhook/chat2desk/\(wrong)", body: body), status: 403, error: "forbidden")
        Self.expectJSON(try Self.post("/webhook/chat2desk", headers: [("X-Webhook-Secret", wrong)], body: body), status: 403)
        Self.expectJSON(try Self.post("/webhook/chat2desk", body: body), status: 401, error: "unauthorized")
        Self.expectJSON(try Self.post("/webhook/chat2desk?token=", body: body), status: 401, error: "unauthorized")
        Self.expectJSON(try Self.post("/webhook/chat2desk/", body: body), status: 401, error: "unauthorized")

        let path = try Self.tokenPath()
        Self.expectJSON(try Self.post(path, contentType: "text/plain", body: body), status: 415, error: "unsupported_media_type")
        Self.expectJSON(try Self.post(path, contentType: "application/x-www-form-urlencoded", body: body), status: 415)
        Self.expectJSON(try Self.post(path, contentType: nil, body: body), status: 415)
        Self.expectJSON(try Self.post(path, body: "{\"message_id\": 1, \"client_id\": "), status: 400, error: "bad_request")
        Self.expectJSON(try Self.post(path, body: "[]"), status: 400, error: "bad_request")
        Self.expectJSON(try Self.post(path, body: "not json at all"), status: 400, error: "bad_request")
        Self.expectJSON(try Self.post(path, body: ""), status: 400, error: "bad_request")
        Self.expectJSON(
            try Self.post(path, body: #"{"type":"from_client","text":"no message id","client_id":\#(client)}"#), status: 400)
        Self.expectJSON(
            try Self.post(path, body: #"{"message_id":"\#(message)","type":"from_client","client_id":"abc"}"#), status: 400)
        Self.expectJSON(
            try Self.post(path, body: #"{"message_id":"\#(message)","type":"from_client","client_id":-5}"#), status: 400)

        let get = try TestStack.nginx("GET", path)
        Self.expectJSON(get, status: 405, error: "method_not_allowed")
        #expect(get.header("allow") == "POST")
        Self.expectJSON(
            try TestStack.nginx("PUT", path, headers: [("Content-Type", "application/json")], body: Array(body.utf8)), status: 405)

        #expect(try redis.command(["LLEN", Self.conversationKey(client)]) == .integer(0))
        #expect(try redis.command(["EXISTS", Self.seenKey(message)]) == .integer(0))
        // The rejected ones did not burn the message id: the real delivery still gets queued.
        let accepted = try Self.post(path, body: body)
        #expect(TestStack.jsonObject(accepted.body)?["queued"] as? Bool == true, "\(accepted.text)")
        #expect(try redis.command(["LLEN", Self.conversationKey(client)]) == .integer(1))
    }

    @Test func outboxAndCloseDialogHooksAreQueuedOnTheClientsConversationAndOtherEventsAreNot() throws {
        let redis = try TestStack.redis()
        let client = TestStack.randomID()
        defer { Self.removeConversation(client, on: redis) }
        _ = try Self.park(client, on: redis)
        let outboxID = TestStack.randomID()
        let queuedBodies = [
            #"{"message_id":\#(outboxID),"type":"to_client","text":"operator reply","client_id":\#(client),"hook_type":"outbox","external_id":null}"#,
            #"{"hook_type":"close_dialog","dialog_id":5,"client_id":"\#(client)"}"#,
        ]
        let ignoredBodies = [
            #"{"message_id":\#(TestStack.randomID()),"type":"to_client","text":"no hook type: an inbox of type to_client","client_id":\#(client)}"#,
            #"{"message_id":\#(TestStack.randomID()),"type":"from_client","text":"echo","client_id":\#(client),"hook_type":"outbox"}"#,
            #"{"message_id":\#(TestStack.randomID()),"type":"comment","text":"internal note","client_id":\#(client),"hook_type":"outbox"}"#,
            #"{"message_id":\#(TestStack.randomID()),"type":"system","text":"dialog closed","client_id":\#(client),"hook_type":"inbox"}"#,
            #"{"message_id":\#(TestStack.randomID()),"client_id":\#(client),"hook_type":"new_client"}"#,
        ]
        for (bodies, queued) in [(queuedBodies, true), (ignoredBodies, false)] {
            for body in bodies {
                let response = try Self.post(Self.tokenPath(), body: body)
                Self.expectJSON(response, status: 200)
                let json = TestStack.jsonObject(response.body) ?? [:]
                #expect(json["ok"] as? Bool == true, "\(body) -> \(response.text)")
                #expect(json["queued"] as? Bool == queued, "\(body) -> \(response.text)")
            }
        }
        // The same close_dialog again is a duplicate; a close_dialog without a client is refused.
        #expect(TestStack.jsonObject(try Self.post(Self.tokenPath(), body: queuedBodies[1]).body)?["queued"] as? Bool == false)
        Self.expectJSON(try Self.post(Self.tokenPath(), body: #"{"hook_type":"close_dialog","dialog_id":5}"#), status: 400)
        let waiting = try Self.queued(client, on: redis)
        #expect(waiting.map { $0["kind"] as? String } == ["outbox", "close_dialog"])
        #expect(waiting.map { $0["message_id"] as? String } == [String(outboxID), "close_dialog:\(client):5"])
    }

    @Test func idsMayBeNumbersOrNumericStrings() throws {
        let redis = try TestStack.redis()
        let client = TestStack.randomID()
        let message = TestStack.randomID()
        let other = TestStack.randomID()
        defer { Self.removeConversation(client, on: redis) }
        _ = try Self.park(client, on: redis)
        // Both ids as strings: queued under the normalised numeric client id.
        let asStrings = #"{"message_id":"\#(message)","type":"from_client","text":"строка","client_id":"\#(client)"}"#
        #expect(TestStack.jsonObject(try Self.post(Self.tokenPath(), body: asStrings).body)?["queued"] as? Bool == true)
        // The same message id as a number is the same message.
        let asNumbers = #"{"message_id":\#(message),"type":"from_client","text":"число","client_id":\#(client)}"#
        #expect(TestStack.jsonObject(try Self.post(Self.tokenPath(), body: asNumbers).body)?["duplicate"] as? Bool == true)
        // The client id may also come only inside `client`.
        let nested =
            #"{"message_id":"\#(other)","type":"from_client","text":"вложенный","client":{"id":"\#(client)"},"photo":"https://x/p.jpg"}"#
        #expect(TestStack.jsonObject(try Self.post(Self.tokenPath(), body: nested).body)?["queued"] as? Bool == true)

        let waiting = try Self.queued(client, on: redis)
        #expect(waiting.compactMap { $0["message_id"] as? String } == [String(message), String(other)])
        #expect(waiting.compactMap { $0["client_id"] as? String } == [String(client), String(client)])
        #expect(waiting.last?["has_media"] as? Bool == true)
    }
}
