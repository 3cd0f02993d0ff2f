import Edge
import FastCGI
import FoundationEssentials
import Logging
import Messages
import Platform
import Redis

/// One input through the request decisions of the three webhooks (Chat2Desk, Tilda urlencoded and JSON,
/// Telegram), as its body with the right secret and media type. Nothing touches Redis: `decide` stops where the
/// enqueue would begin. A broken rule ends the process, which is how libFuzzer learns about it:
///
/// * an answer is 2xx or 4xx, `application/json`, with a JSON object body;
/// * a message to queue is what the drain reads back, and no string in it (nor its conversation or de-duplication
///   id) holds NUL or another control character the edge drops.
enum WebhookFuzzing {
    static let secret = "fuzz-webhook-secret-0123456789"

    private static let logger = Logger(label: "edge-fuzz") { _ in SwiftLogNoOpLogHandler() }
    nonisolated(unsafe) private static let redis = LazyRedis(RedisConfiguration(host: "127.0.0.1", port: 9))
    nonisolated(unsafe) private static let chat2desk = Chat2DeskWebhookHandler(
        secret: secret, dedupeSeconds: 60, redis: redis, logger: logger)
    nonisolated(unsafe) private static let telegram = TelegramWebhookHandler(
        secret: secret, dedupeSeconds: 60, redis: redis, logger: logger)
    nonisolated(unsafe) private static let tilda = TildaWebhookHandler(
        settings: AppConfig.Academy.Tilda(
            secret: secret, secretHeader: "x-tilda-secret", secretField: "secret", secretQuery: "token", nameField: "Name",
            phoneField: "Phone", emailField: "Email", childAgeField: "child_age"),
        dedupeSeconds: 60, redis: redis, logger: logger)

    static func run(_ body: [UInt8]) {
        let json = "application/json"
        self.check(
            "chat2desk",
            self.chat2desk.decide(
                FastCGIRequest(method: "POST", path: "/webhook/chat2desk/" + secret, contentType: json, body: body)))
        self.check(
            "telegram",
            self.telegram.decide(
                FastCGIRequest(
                    method: "POST", path: "/webhook/tg", headers: ["x-telegram-bot-api-secret-token": secret], contentType: json, body: body
                )))
        for contentType in ["application/x-www-form-urlencoded", json] {
            self.check(
                "tilda " + contentType,
                self.tilda.decide(
                    FastCGIRequest(
                        method: "POST", path: "/webhook/tilda", query: "token=" + secret, contentType: contentType, body: body)))
        }
    }

    private static func check(_ webhook: String, _ decision: WebhookDecision) {
        switch decision {
        case .answer(let response):
            guard (200..<500).contains(response.status) else { self.fail(webhook, "answered \(response.status): \(response.text)") }
            guard response.headers["Content-Type"] == "application/json", JSONValue.parse(response.body)?.objectValue != nil else {
                self.fail(webhook, "answered without a JSON object: \(response.headers) \(response.text)")
            }
        case .enqueue(let message):
            for id in [message.conversation, message.dedupeID] where id.isEmpty || UntrustedText.hasDroppedControl(id) {
                self.fail(webhook, "queues under the id \(id.debugDescription)")
            }
            guard let tree = JSONValue.parse(message.payload), self.isClean(tree) else {
                self.fail(webhook, "queues a payload that is not clean JSON: \(message.payload.debugDescription)")
            }
            if webhook == "chat2desk" {
                guard Chat2DeskInbound(queuePayload: message.payload) != nil else {
                    self.fail(webhook, "the drain cannot read \(message.payload)")
                }
            } else {
                guard let decoded = try? JSONDecoder().decode(AcademyQueueMessage.self, from: Data(message.payload.utf8)) else {
                    self.fail(webhook, "the drain cannot decode \(message.payload)")
                }
                if case .telegram(let inbound) = decoded {
                    guard let update = JSONValue.parse(inbound.update), self.isClean(update) else {
                        self.fail(webhook, "queues an update that is not clean JSON: \(inbound.update.debugDescription)")
                    }
                }
            }
        }
    }

    /// No string (key or value) holds a control character the edge drops.
    private static func isClean(_ value: JSONValue) -> Bool {
        switch value {
        case .string(let text): !UntrustedText.hasDroppedControl(text)
        case .array(let items): items.allSatisfy(self.isClean)
        case .object(let members): members.allSatisfy { !UntrustedText.hasDroppedControl($0.key) && self.isClean($0.value) }
        case .null, .bool, .integer, .number: true
        }
    }

    private static func fail(_ webhook: String, _ problem: String) -> Never {
        fatalError("\(webhook): \(problem)")
    }
}

/// libFuzzer's entry: one input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    WebhookFuzzing.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}
