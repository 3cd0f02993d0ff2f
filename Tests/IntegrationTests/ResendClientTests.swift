import Clients
import Curl
import Foundation
import TestSupport
import Testing

@testable import Platform

/// `ResendClient` against a fake Resend of each test's own (its faults would otherwise reach the email chain
/// suites that share the stack's fake).
@Suite("Resend client", .stack)
struct ResendClientTests {
    let fake: PrivateFake
    let apiKey = "re_resend_client_tests_0123456789"

    init() throws {
        // The limit is the client's own (Redis); the fake's 2 req/s would only add 429s to these counts.
        self.fake = try PrivateFake("resend", ["--api-key", self.apiKey, "--rate-limit", "0"])
    }

    private func client() throws -> ResendClient {
        let settings = AppConfig.Academy.Email(
            apiURL: self.fake.url, apiKey: self.apiKey, from: "All In Academy <hello@academy.example>",
            ratePerSecond: 100, templatesDirectory: "", email1Delay: 0, email2Delay: 0, callAlertDelay: 0)
        return ResendClient(
            settings: settings, timeout: 5, connectTimeout: 2, http: TestStack.httpClient(),
            redis: LazyRedis(try TestStack.redisConfiguration()), retryDelays: [0.2, 0.2])
    }

    private func email(key: String = "it-email/" + TestStack.randomHex(10), text: String = "Здравствуйте!") -> OutgoingEmail {
        OutgoingEmail(to: "parent@example.com", subject: "Пробный урок", html: "<p>\(text)</p>", text: text, idempotencyKey: key)
    }

    @discardableResult
    private func control(_ method: String, _ path: String, json: String? = nil) throws -> Any {
        try self.fake.control(method, path, json: json)
    }

    private func sent(key: String) throws -> Int {
        ((try self.control("GET", "/_fake/emails")) as? [[String: Any]] ?? [])
            .filter { $0["idempotency_key"] as? String == key }.count
    }

    private func posts() throws -> [[String: Any]] {
        (try self.control("GET", "/_fake/calls?path=/emails&method=POST")) as? [[String: Any]] ?? []
    }

    /// Resend answers 409 `concurrent_idempotent_requests` while the first request with the same key is still
    /// being processed; its docs call a retry later safe. The email must go out on the retry, once.
    @Test func aConcurrentIdempotentRequestIsRetriedAndSentOnce() throws {
        try self.control(
            "POST", "/_fake/faults", json: #"{"route":"/emails","method":"POST","mode":"concurrent_idempotent_requests","times":1}"#)
        let email = self.email()

        let result = try self.client().send(email)

        guard case .sent = result else {
            Issue.record("expected sent, got \(result)")
            return
        }
        #expect(try self.sent(key: email.idempotencyKey) == 1)
        #expect(try self.posts().map { $0["status"] as? Int } == [409, 200])
    }

    /// The same key with another body is the caller's mistake: Resend will never accept it, so no retry.
    @Test func anIdempotencyKeyReusedForAnotherEmailIsRejected() throws {
        let client = try self.client()
        let key = "it-email/" + TestStack.randomHex(10)
        guard case .sent = client.send(self.email(key: key)) else {
            Issue.record("the first email was not sent")
            return
        }

        let result = client.send(self.email(key: key, text: "Другой текст"))

        guard case .rejected(let error) = result else {
            Issue.record("expected rejected, got \(result)")
            return
        }
        #expect(error.contains("409"), "\(error)")
        #expect(try self.sent(key: key) == 1)
        #expect(try self.posts().count == 2, "a 409 invalid_idempotent_request is not retried")
    }
}
