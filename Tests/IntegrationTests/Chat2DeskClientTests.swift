import Clients
import Curl
import Foundation
import Platform
import TestSupport
import Testing

@testable import Storage

/// `Chat2DeskClient` after a send that timed out but may have reached Chat2Desk, against a fake Chat2Desk of each
/// test's own (its list order and fields are switched here). The fake holds the POST for 2 s and then applies it;
/// the client gives up after 1 s and must decide from `GET /v1/messages` whether to send again.
@Suite("Chat2Desk client after an ambiguous timeout", .stack)
struct Chat2DeskClientTests {
    let fake: PrivateFake
    let token = "chat2desk-client-tests-token"
    let clientID = TestStack.randomID()

    init() throws {
        self.fake = try PrivateFake("chat2desk", ["--token", self.token])
    }

    private func client(logs: CapturedLogs = CapturedLogs()) throws -> Chat2DeskClient {
        Chat2DeskClient(
            baseURL: self.fake.url, token: self.token, rateLimitPerMinute: 6000, timeout: 1, connectTimeout: 1,
            http: TestStack.httpClient(), redis: LazyRedis(try TestStack.redisConfiguration()), logger: logs.logger)
    }

    /// A reply as the drain sends it right after its step (`fresh`), or as a later sender finds it pending.
    private func message(_ id: Int64, text: String, fresh: Bool = true) -> Outbox.Message {
        var message = Outbox.Message(
            id: id, conversation: String(self.clientID),
            payload: Chat2DeskClient.payload(clientID: String(self.clientID), text: text, transport: "whatsapp", channelID: nil),
            attempts: 0)
        message.isFresh = fresh
        return message
    }

    @discardableResult
    private func control(_ method: String, _ path: String, json: String? = nil) throws -> Any {
        try self.fake.control(method, path, json: json)
    }

    /// What the fake delivered to the client with `externalID`.
    private func delivered(_ externalID: String) throws -> Int {
        ((try self.control("GET", "/_fake/messages?client_id=\(self.clientID)")) as? [[String: Any]] ?? [])
            .filter { $0["external_id"] as? String == externalID }.count
    }

    private func calls(_ method: String) throws -> [[String: Any]] {
        (try self.control("GET", "/_fake/calls?path=/v1/messages&method=\(method)")) as? [[String: Any]] ?? []
    }

    /// A client with a long history (more than the client's first look of 50 messages in main), listed oldest
    /// first: the timed-out reply is on the last page, so only a client that reads every page finds it.
    @Test func aTimedOutReplyIsFoundWhereverTheListPutsIt() throws {
        try self.control("POST", "/_fake/config", json: #"{"list_order":"oldest_first"}"#)
        // The history goes straight to the fake, not through the client's rate limit shared with other suites.
        let http = TestStack.httpClient()
        for index in 1...230 {
            let body = #"{"client_id":\#(self.clientID),"text":"Ответ \#(index)","external_id":"earlier-\#(index)"}"#
            let response = try http.perform(
                HTTPRequest(
                    method: "POST", url: self.fake.url + "/v1/messages",
                    headers: [("Authorization", self.token), ("Content-Type", "application/json")], body: Array(body.utf8),
                    connectTimeout: 2, totalTimeout: 5))
            try #require(response.status == 200)
        }
        let client = try self.client()
        try self.control("DELETE", "/_fake/calls")
        try self.control("POST", "/_fake/faults", json: #"{"route":"/v1/messages","method":"POST","mode":"delay","seconds":2,"times":1}"#)

        let outcome = client.send(self.message(1000, text: "Сколько бутылей?"))

        #expect(outcome.isDelivered)
        #expect(try self.delivered("outbox-1000") == 1)
        #expect(try self.calls("POST").count == 1, "the reply was POSTed again")
        #expect(try !self.calls("GET").isEmpty)
    }

    /// Without `external_id` in the list (the C# SDK's message type has none) nothing can show that the request
    /// arrived. The client stops looking at once and reports a failure, so the reply is sent again and may be
    /// duplicated, rather than guessing from the text and risking a lost reply.
    @Test func withoutExternalIDsInTheListATimedOutReplyIsSentAgain() throws {
        try self.control("POST", "/_fake/config", json: #"{"external_id_in_list":false}"#)
        let logs = CapturedLogs()
        let client = try self.client(logs: logs)
        #expect(client.send(self.message(1, text: "Здравствуйте!")).isDelivered)
        try self.control("DELETE", "/_fake/calls")
        try self.control("POST", "/_fake/faults", json: #"{"route":"/v1/messages","method":"POST","mode":"delay","seconds":2,"times":1}"#)

        let first = client.send(self.message(2, text: "Укажите адрес доставки"))

        guard case .failed(let error, _) = first else {
            Issue.record("expected failed, got \(first)")
            return
        }
        #expect(error.contains("external_id"), "\(error)")
        #expect(try self.calls("GET").count == 1, "the client kept polling a list that cannot answer")
        #expect(logs.all.contains { $0.hasPrefix("warning") && $0.contains("may duplicate") }, "\(logs.all)")
        // The outbox's retry: the held request has been applied by now, so this is the accepted duplicate.
        #expect(eventually(timeout: 5) { (try? self.delivered("outbox-2")) == 1 })
        #expect(client.send(self.message(2, text: "Укажите адрес доставки", fresh: false)).isDelivered)
        #expect(try self.delivered("outbox-2") == 2)
    }

    /// A pending reply the current step did not write may have been delivered by a sender that died before storing
    /// the outcome: it is looked up first and, when the list shows it, not sent again.
    @Test func aLeftoverReplyThatWasDeliveredIsNotSentAgain() throws {
        let client = try self.client()
        #expect(client.send(self.message(7, text: "Сколько бутылей?")).isDelivered)
        try self.control("DELETE", "/_fake/calls")
        #expect(client.send(self.message(7, text: "Сколько бутылей?", fresh: false)).isDelivered)
        #expect(try self.delivered("outbox-7") == 1, "the leftover was found, not sent twice")
        #expect(try self.calls("POST").isEmpty)
        #expect(try self.calls("GET").count == 1)
        // A leftover that never arrived is sent.
        #expect(client.send(self.message(8, text: "Адрес?", fresh: false)).isDelivered)
        #expect(try self.delivered("outbox-8") == 1)
    }
}
