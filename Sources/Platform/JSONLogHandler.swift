import FoundationEssentials
import Glibc
public import Logging
import Messages

/// A swift-log handler writing one JSON object per line to stderr (journald / cron mail friendly).
///
/// Metadata values under keys that look like credentials are replaced with `[redacted]` as a
/// last line of defence; phone numbers and emails are masked by the callers with `Redact`.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    private let label: String

    public init(label: String) { self.label = label }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    /// Bootstraps swift-log once per process with this handler at the given level.
    public static func bootstrap(level: String) {
        let parsed = Logger.Level(rawValue: level) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = JSONLogHandler(label: label)
            handler.logLevel = parsed
            return handler
        }
    }

    public func log(event: LogEvent) {
        var merged = self.metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        var line = "{\"ts\":\"\(Self.timestamp())\",\"level\":\"\(event.level.rawValue)\",\"logger\":"
        line += Self.quote(self.label) + ",\"msg\":" + Self.quote(event.message.description)
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            line += "," + Self.quote(key) + ":" + Self.quote(Self.isSensitive(key) ? "[redacted]" : Self.flatten(value))
        }
        line += "}\n"
        var bytes = Array(line.utf8)
        // One write(2) per line keeps lines from different threads from interleaving.
        bytes.withUnsafeMutableBytes { buffer in _ = Glibc.write(2, buffer.baseAddress, buffer.count) }
    }

    static func isSensitive(_ key: String) -> Bool {
        let lower = key.lowercased()
        return ["token", "secret", "password", "authorization", "api_key", "apikey"].contains { lower.contains($0) }
    }

    private static func flatten(_ value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let text): text
        case .stringConvertible(let convertible): convertible.description
        case .array(let items): "[" + items.map(Self.flatten).joined(separator: ",") + "]"
        case .dictionary(let items): "{" + items.map { "\($0.key)=\(Self.flatten($0.value))" }.joined(separator: ",") + "}"
        }
    }

    /// JSON string escaping per RFC 8259 (`JSONText.quote`, kept here for the log lines).
    public static func quote(_ text: String) -> String { JSONText.quote(text) }

    private static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var parts = tm()
        var seconds = now.tv_sec
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(parts.tm_year + 1900)-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(now.tv_nsec / 1_000_000), 3))Z"
    }
}

/// Masks personal data before it reaches a log line.
public enum Redact {
    /// `+996555123456` → `+996*****3456`: enough to correlate, not enough to call.
    public static func phone(_ phone: String) -> String {
        let characters = Array(phone)
        guard characters.count > 7 else { return String(repeating: "*", count: characters.count) }
        return String(characters.prefix(4)) + String(repeating: "*", count: characters.count - 8) + String(characters.suffix(4))
    }

    /// `anna.petrova@mail.kg` → `a***@mail.kg`.
    public static func email(_ email: String) -> String {
        guard let at = email.firstIndex(of: "@"), at != email.startIndex else { return "***" }
        return String(email[email.startIndex]) + "***" + String(email[at...])
    }
}
