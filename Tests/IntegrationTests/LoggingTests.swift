import Foundation
import Glibc
import Logging
import TestSupport
import Testing

@testable import Platform

@Suite("JSON logging")
struct LoggingTests {
    /// Lock held while fd 2 is redirected (tests in this suite may otherwise run in parallel).
    private static let captureLock = NSLock()

    /// Runs `body` with fd 2 pointed at a file and returns the lines it wrote that contain `marker`;
    /// other stderr output written meanwhile (another test's) is passed on to the real stderr.
    private static func captureStandardError(marker: String, _ body: () -> Void) throws -> [String] {
        Self.captureLock.lock()
        defer { Self.captureLock.unlock() }
        let path = NSTemporaryDirectory() + "chatbots-log-\(TestStack.randomHex(10)).txt"
        defer { unlink(path) }
        let file = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard file >= 0 else { throw StackError("cannot create \(path)") }
        fflush(nil)
        let saved = dup(2)
        dup2(file, 2)
        close(file)
        body()
        fflush(nil)
        dup2(saved, 2)
        close(saved)
        let text = String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
        var ours: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.contains(marker) {
                ours.append(String(line))
            } else if !line.isEmpty {
                FileHandle.standardError.write(Data((line + "\n").utf8))
            }
        }
        return ours
    }

    @Test func handlerWritesOneRedactedJSONObjectPerLine() throws {
        let label = "it.logging." + TestStack.randomHex(8)
        var logger = Logger(label: label) { JSONLogHandler(label: $0) }
        logger.logLevel = .info
        logger[metadataKey: "bot"] = "shoro"
        logger[metadataKey: "session_token"] = "handler-level-secret"
        let message = "hello \"world\" \\ line\nbreak\r\ttab \u{1}\u{1f} кириллица 🚰"
        let lines = try Self.captureStandardError(marker: label) {
            logger.debug("below the level: not written")
            logger.info(
                "\(message)",
                metadata: [
                    "chat2desk.token": "t-123", "user_password": "p-123", "Authorization": "Bearer a-123",
                    "webhook_secret": "s-123", "API_KEY": "k-123", "client.phone": "\(Redact.phone("+996555123456"))",
                    "plain": "value\nwith \"quotes\"", "count": "\(42)", "list": .array(["a", "b"]), "nested": .dictionary(["k": "v"]),
                ])
            logger.warning("second")
        }
        #expect(lines.count == 2, "lines: \(lines)")
        let firstLine = try #require(lines.first)
        let first = try #require(TestStack.jsonObject(Array(firstLine.utf8)), "not JSON: \(lines)")
        #expect(first["logger"] as? String == label)
        #expect(first["level"] as? String == "info")
        #expect(first["msg"] as? String == message)
        let timestamp = first["ts"] as? String ?? ""
        #expect(timestamp.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil, "ts: \(timestamp)")
        for key in ["chat2desk.token", "user_password", "Authorization", "webhook_secret", "API_KEY", "session_token"] {
            #expect(first[key] as? String == "[redacted]", "\(key): \(String(describing: first[key]))")
        }
        #expect(first["bot"] as? String == "shoro")
        #expect(first["plain"] as? String == "value\nwith \"quotes\"")
        #expect(first["count"] as? String == "42")
        #expect(first["client.phone"] as? String == "+996*****3456")
        #expect(first["list"] as? String == "[a,b]")
        #expect(first["nested"] as? String == "{k=v}")
        for secret in ["t-123", "p-123", "a-123", "s-123", "k-123", "handler-level-secret", "555123"] {
            #expect(!lines[0].contains(secret), "\(secret) leaked")
        }
        // Raw control characters never reach the line.
        #expect(!lines[0].unicodeScalars.contains { $0.value < 0x20 })
        let second = try #require(TestStack.jsonObject(Array(lines[1].utf8)))
        #expect(second["level"] as? String == "warning")
        #expect(second["msg"] as? String == "second")
    }

    @Test(arguments: [
        "", "plain", "quote \" and backslash \\", "line\nfeed\r\ttab", "\u{0}\u{1}\u{8}\u{b}\u{c}\u{1f}", "\u{7f} del",
        "кириллица, ӨҮҢ 🚰👍🏽", "\u{2028}\u{2029}", "</script>", #"{"json":"inside"}"#,
    ])
    func quoteProducesValidJSONStrings(_ text: String) throws {
        let quoted = JSONLogHandler.quote(text)
        #expect(quoted.hasPrefix("\"") && quoted.hasSuffix("\""))
        #expect(!quoted.unicodeScalars.contains { $0.value < 0x20 }, "raw control character in \(quoted.debugDescription)")
        let parsed = try JSONSerialization.jsonObject(with: Data("[\(quoted)]".utf8)) as? [String]
        #expect(parsed == [text])
    }

    @Test func controlCharactersUseShortOrUnicodeEscapes() {
        #expect(JSONLogHandler.quote("a\nb") == #""a\nb""#)
        #expect(JSONLogHandler.quote("\u{1}") == #""\u0001""#)
        #expect(JSONLogHandler.quote("\u{1f}") == #""\u001f""#)
        #expect(JSONLogHandler.quote("\"\\") == #""\"\\""#)
    }

    @Test(arguments: [
        ("token", true), ("chat2desk.token", true), ("TOKEN", true), ("webhookSecret", true), ("db_password", true),
        ("Authorization", true), ("x-authorization-header", true), ("api_key", true), ("apiKey", true),
        ("request.id", false), ("client.phone", false), ("error", false), ("bot", false), ("tok", false),
    ])
    func sensitiveKeys(key: String, sensitive: Bool) {
        #expect(JSONLogHandler.isSensitive(key) == sensitive)
    }

    @Test func phonesAndEmailsAreMasked() {
        #expect(Redact.phone("+996555123456") == "+996*****3456")
        #expect(Redact.phone("0555123456") == "0555**3456")
        #expect(Redact.phone("1234567") == "*******")
        #expect(Redact.phone("") == "")
        #expect(!Redact.phone("+996555123456").contains("555123"))
        #expect(Redact.email("anna.petrova@mail.kg") == "a***@mail.kg")
        #expect(Redact.email("x@y.kg") == "x***@y.kg")
        #expect(Redact.email("@mail.kg") == "***")
        #expect(Redact.email("not-an-email") == "***")
    }
}
