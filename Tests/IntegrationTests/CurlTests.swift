import Curl
import Foundation
import TestSupport
import Testing

/// The HTTP client against a fake Chat2Desk of each test's own: the stack's shared fake takes faults from the
/// Shoro end-to-end suite (and has them reset by it), which runs at the same time.
@Suite("HTTP client (libcurl) against the fake Chat2Desk", .stack)
struct CurlTests {
    let fake: PrivateFake
    let token = "curl-tests-token-0123456789"

    init() throws {
        self.fake = try PrivateFake("chat2desk", ["--token", self.token])
    }

    private static func uniquePath() -> String { "/it/" + TestStack.randomHex(16) }

    @discardableResult
    private func control(_ method: String, _ path: String, json: String? = nil) throws -> Any {
        try self.fake.control(method, path, json: json)
    }

    private func addFault(_ json: String) throws { try self.control("POST", "/_fake/faults", json: json) }

    /// The calls the fake recorded for `path`.
    private func calls(_ path: String) throws -> [[String: Any]] {
        try self.control("GET", "/_fake/calls?path=\(path)") as? [[String: Any]] ?? []
    }

    @Test func postSendsHeadersAndBodyAndReadsTheAnswer() throws {
        let clientID = TestStack.randomID()
        let externalID = "it-" + TestStack.randomHex(8)
        let body = #"{"client_id":\#(clientID),"text":"Привет, \"вода\"","external_id":"\#(externalID)"}"#
        let response = try TestStack.httpClient().perform(
            HTTPRequest(
                method: "POST", url: self.fake.url + "/v1/messages",
                headers: [("Authorization", self.token), ("Content-Type", "application/json"), ("X-Request-Id", externalID)],
                body: Array(body.utf8), totalTimeout: 5))
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/json")
        #expect(response.header("content-length") == String(response.body.count))
        let json = try #require(TestStack.jsonObject(response.body))
        #expect(json["status"] as? String == "success")
        let data = try #require(json["data"] as? [String: Any])
        #expect((data["client_id"] as? NSNumber)?.int64Value == clientID)
        #expect(data["message_id"] != nil)

        // The fake stored exactly what was sent.
        let messages = try #require(try self.control("GET", "/_fake/messages?client_id=\(clientID)") as? [[String: Any]])
        #expect(messages.count == 1)
        #expect(messages.first?["text"] as? String == "Привет, \"вода\"")
        #expect(messages.first?["external_id"] as? String == externalID)
    }

    @Test func anyStatusIsAResponseAndHeadersAndBodyArrive() throws {
        let path = Self.uniquePath()
        try self.addFault(
            #"""
            {"route":"\#(path)","method":"PUT","mode":"status","status":418,"body":{"teapot":true},"headers":{"X-Fake":"yes","Retry-After":"3"}}
            """#)
        let payload: [UInt8] = Array("binary\u{0}body\n".utf8) + [0xff, 0xfe]
        let response = try TestStack.httpClient().perform(
            HTTPRequest(
                method: "PUT", url: self.fake.url + path + "?a=1&b=x%20y",
                headers: [("X-Custom", "value with spaces"), ("Content-Type", "application/octet-stream")], body: payload))
        #expect(response.status == 418)
        #expect(response.header("x-fake") == "yes")
        #expect(response.header("Retry-After") == "3")
        #expect(TestStack.jsonObject(response.body)?["teapot"] as? Bool == true)

        let recorded = try #require(try self.calls(path).first)
        #expect(recorded["method"] as? String == "PUT")
        let headers = recorded["headers"] as? [String: String] ?? [:]
        #expect(headers["X-Custom"] == "value with spaces")
        #expect(headers["Content-Length"] == String(payload.count))
        #expect(headers["Expect"] == nil)
        let query = recorded["query"] as? [String: String] ?? [:]
        #expect(query == ["a": "1", "b": "x y"])
    }

    @Test func unauthorizedIsAResponseNotAnError() throws {
        let response = try TestStack.httpClient().perform(
            HTTPRequest(
                method: "POST", url: self.fake.url + "/v1/messages",
                headers: [("Authorization", "Bearer " + self.token), ("Content-Type", "application/json")],
                body: Array(#"{"client_id":1,"text":"x"}"#.utf8)))
        #expect(response.status == 401)
        #expect(TestStack.jsonObject(response.body)?["message"] as? String == "You need to auth")
    }

    @Test func getWithoutBodyAndHeadWork() throws {
        let client = TestStack.httpClient()
        let url = self.fake.url + "/v1/messages?client_id=\(TestStack.randomID())&limit=5"
        let response = try client.perform(HTTPRequest(url: url, headers: [("Authorization", self.token)]))
        #expect(response.status == 200)
        #expect((TestStack.jsonObject(response.body)?["data"] as? [Any])?.isEmpty == true)
        // The same client (and its kept-alive connection) serves the next request.
        let again = try client.perform(HTTPRequest(url: url, headers: []))
        #expect(again.status == 401)
    }

    @Test func aDelayLongerThanTheTimeoutIsAnAmbiguousTimeout() throws {
        let path = Self.uniquePath()
        try self.addFault(#"{"route":"\#(path)","mode":"delay","seconds":1.5}"#)
        let url = self.fake.url + path
        let started = now()
        do {
            _ = try TestStack.httpClient().perform(
                HTTPRequest(
                    method: "POST", url: url, body: Array("{}".utf8), connectTimeout: 1, totalTimeout: 0.4))
            Issue.record("a 1.5 s delay with a 0.4 s timeout answered")
        } catch {
            #expect(error.code == .timedOutAfterSend, "got \(String(reflecting: error))")
            #expect(error.isAmbiguous)
        }
        let elapsed = now() - started
        #expect(elapsed >= 0.35 && elapsed < 1.2, "took \(elapsed)s")
        // The fake did receive it: "after send" is true.
        #expect(try self.calls(path).count == 1)
    }

    @Test func aDroppedConnectionIsAnAmbiguousLoss() throws {
        let path = Self.uniquePath()
        try self.addFault(#"{"route":"\#(path)","mode":"drop"}"#)
        let url = self.fake.url + path
        do {
            _ = try TestStack.httpClient().perform(HTTPRequest(method: "POST", url: url, body: Array("{}".utf8), totalTimeout: 3))
            Issue.record("a dropped connection answered")
        } catch {
            #expect(error.code == .connectionLostAfterSend, "got \(String(reflecting: error))")
            #expect(error.isAmbiguous)
        }
        #expect(try self.calls(path).count == 1)
    }

    /// libcurl silently re-sends a request whose reused keep-alive connection closed without an answer;
    /// for a POST that the server applied before dropping, that would deliver it twice.
    @Test func aDropOnAReusedConnectionIsNotSilentlyResent() throws {
        let path = Self.uniquePath()
        let client = TestStack.httpClient()
        let url = self.fake.url + path
        // First request: answered normally (404 from the fake), the connection stays open.
        let first = try client.perform(HTTPRequest(method: "POST", url: url, body: Array("{}".utf8)))
        #expect(first.status == 404)
        try self.addFault(#"{"route":"\#(path)","mode":"drop"}"#)
        do {
            let second = try client.perform(HTTPRequest(method: "POST", url: url, body: Array("{}".utf8), totalTimeout: 3))
            Issue.record("a dropped POST on a reused connection answered \(second.status) (it was re-sent)")
        } catch {
            #expect(error.code == .connectionLostAfterSend, "got \(String(reflecting: error))")
        }
        #expect(try self.calls(path).count == 2, "the fake saw the POST more than once")
    }

    @Test func aClosedPortCannotConnectAndIsNotAmbiguous() throws {
        let port = try TestStack.freePort()
        do {
            _ = try TestStack.httpClient().perform(
                HTTPRequest(
                    method: "POST", url: "http://127.0.0.1:\(port)/v1/messages", body: Array("{}".utf8), connectTimeout: 1,
                    totalTimeout: 2))
            Issue.record("a closed port answered")
        } catch {
            #expect(error.code == .couldNotConnect, "got \(String(reflecting: error))")
            #expect(!error.isAmbiguous)
        }
    }

    @Test func httpsToAPlainHTTPPortFailsWithoutFallingBackToPlaintext() throws {
        let plain = self.fake.url
        let path = Self.uniquePath()
        let url = plain.replacingOccurrences(of: "http://", with: "https://") + path
        try #require(url.hasPrefix("https://"))
        do {
            let response = try TestStack.httpClient().perform(
                HTTPRequest(method: "POST", url: url, body: Array("{}".utf8), totalTimeout: 3))
            Issue.record("https to a plain port answered \(response.status)")
        } catch {
            #expect(error.code == .tls || error.code == .couldNotConnect, "got \(String(reflecting: error))")
            #expect(!error.isAmbiguous)
        }
        // No HTTP request reached the server in plaintext.
        #expect(try self.calls(path).isEmpty)
    }

    @Test func aBadURLIsAnInvalidRequest() throws {
        do {
            _ = try TestStack.httpClient().perform(HTTPRequest(url: "ftp://127.0.0.1/x"))
            Issue.record("ftp:// was accepted")
        } catch {
            #expect(error.code == .invalidRequest || error.code == .other, "got \(String(reflecting: error))")
            #expect(!error.isAmbiguous)
        }
    }
}
