import Curl
import Foundation
import Logging
import Platform
import Synchronization
import TestSupport
import Testing

@testable import Academy
@testable import Clients

/// The suites that use the fake OpenAI, one at a time: its scripted replies, faults and records are one
/// shared queue, reset by each test.
@Suite("OpenAI fake", .stack, .serialized)
enum OpenAIFakeTests {}

/// The fake OpenAI and fake Telegram of the local stack (`fakes/openai.py`, `fakes/telegram.py`) as seen
/// from the AI tests.
enum AIStack {
    static let silent = Logger(label: "it.ai") { _ in SwiftLogNoOpLogHandler() }
    /// The production policy's rules with millisecond waits.
    static let fast = OpenAIRetryPolicy(maxAttempts: 3, baseDelay: 0.01, maxDelay: 0.05, jitter: 0, maxRetryAfter: 20)

    static func openAIURL() throws -> String { try TestStack.variable("STACK_FAKE_OPENAI_URL") }
    static func telegramURL() throws -> String { try TestStack.variable("STACK_FAKE_TELEGRAM_URL") }

    /// The stack's AI settings (`OPENAI_*` from stack.env, the repository's system prompt), with overrides.
    static func settings(_ overrides: [String: String] = [:]) throws -> AISettings {
        var environment = TestStack.environment
        environment["AI_SYSTEM_PROMPT_FILE"] = try TestStack.root() + "/resources/ai/system_prompt.txt"
        var reader = EnvironmentReader(environment.merging(overrides) { _, new in new })
        let settings = AISettings.read(&reader)
        try reader.validate()
        return settings
    }

    static func openAI(_ settings: AISettings, logger: Logger = silent) -> OpenAIClient {
        OpenAIClient(settings: settings, http: TestStack.httpClient(), connectTimeout: 2, retry: fast, logger: logger)
    }

    static func telegram() throws -> TelegramClient {
        TelegramClient(
            baseURL: try TestStack.variable("TELEGRAM_API_URL"), token: try TestStack.variable("TELEGRAM_BOT_TOKEN"),
            timeout: 5, connectTimeout: 2, http: TestStack.httpClient(),
            redis: LazyRedis(try TestStack.redisConfiguration()))
    }

    static func assistant(_ settings: AISettings, clock: Clock = .system, logger: Logger = silent) throws -> AIAssistant {
        AIAssistant(
            settings: settings, openAI: openAI(settings, logger: logger),
            redis: LazyRedis(try TestStack.redisConfiguration()),
            clock: clock, logger: logger)
    }

    /// A Telegram user id no other test uses (its history and limiter keys are fresh).
    static func newUser() -> Int64 { Int64.random(in: 1_000_000_000...9_000_000_000) }

    /// A control call to a fake (`/_fake/...`), returning the parsed JSON.
    @discardableResult
    static func control(_ base: String, _ method: String, _ path: String, json: String? = nil) throws -> Any {
        try TestStack.fakeControl(base, method, path, json: json)
    }

    /// Clears the fake OpenAI: calls, faults, scripted replies and texts, recorded completions.
    static func resetOpenAI() throws { try control(openAIURL(), "POST", "/_fake/reset") }

    static func openAIFault(_ json: String) throws { try control(openAIURL(), "POST", "/_fake/faults", json: json) }

    static func scriptReplies(_ replies: [String]) throws {
        let data = try JSONSerialization.data(withJSONObject: replies)
        try control(openAIURL(), "POST", "/_fake/chat/replies", json: String(decoding: data, as: UTF8.self))
    }

    /// The chat requests the fake OpenAI answered, oldest first.
    static func completionRequests() throws -> [[String: Any]] {
        let items = try #require(try control(openAIURL(), "GET", "/_fake/completions") as? [[String: Any]])
        return items.compactMap { $0["request"] as? [String: Any] }
    }

    /// How many requests reached a fake OpenAI path (faulted ones included).
    static func openAICalls(_ path: String) throws -> Int {
        try #require(try control(openAIURL(), "GET", "/_fake/calls?path=\(path)") as? [[String: Any]]).count
    }

    static func transcriptions() throws -> [[String: Any]] {
        try #require(try control(openAIURL(), "GET", "/_fake/transcriptions") as? [[String: Any]])
    }

    /// Uploads a file to the fake Telegram; returns its `file_id` and `file_path`.
    static func uploadVoice(_ bytes: [UInt8], declaredSize: Int? = nil) throws -> (fileID: String, path: String) {
        let fileID = "it-voice-" + TestStack.randomHex(12)
        let path = "voice/\(fileID).oga"
        var spec: [String: Any] = [
            "kind": "voice", "file_id": fileID, "file_path": path, "content_b64": Data(bytes).base64EncodedString(),
        ]
        if let declaredSize { spec["file_size"] = declaredSize }
        let data = try JSONSerialization.data(withJSONObject: spec)
        try control(telegramURL(), "POST", "/_fake/files", json: String(decoding: data, as: UTF8.self))
        return (fileID, path)
    }

    /// Download requests the fake Telegram received for `path`.
    static func downloads(of path: String) throws -> Int {
        let calls = try #require(try control(telegramURL(), "GET", "/_fake/calls?method=GET") as? [[String: Any]])
        return calls.filter { ($0["path"] as? String)?.hasSuffix("/" + path) == true }.count
    }

    static func telegramFault(_ json: String) throws { try control(telegramURL(), "POST", "/_fake/faults", json: json) }

    /// Bytes that look like an Ogg page header followed by noise (the fake never decodes audio).
    static func fakeOgg(_ count: Int) -> [UInt8] {
        Array("OggS".utf8) + (0..<max(0, count - 4)).map { _ in UInt8.random(in: 0...255) }
    }
}

/// A wall clock the test moves by hand.
final class FrozenClock: Sendable {
    private let seconds: Mutex<Double>

    init(_ start: Double = 1_800_000_000) { self.seconds = Mutex(start) }

    func advance(_ delta: Double) { self.seconds.withLock { $0 += delta } }

    var clock: Clock { Clock { [self] in self.seconds.withLock { $0 } } }
}

/// Collects log lines (message and metadata as text) so tests can check what was, and was not, logged.
final class CapturedLogs: Sendable {
    private let lines = Mutex<[String]>([])

    var all: [String] { self.lines.withLock { $0 } }

    func append(_ line: String) { self.lines.withLock { $0.append(line) } }

    var logger: Logger {
        Logger(label: "it.ai.captured") { [self] _ in CapturingHandler(sink: self) }
    }
}

private struct CapturingHandler: LogHandler {
    let sink: CapturedLogs
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = self.metadata.merging(event.metadata ?? [:]) { _, new in new }
        let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        self.sink.append("\(event.level) \(event.message) \(fields)")
    }
}
