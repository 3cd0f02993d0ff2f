import FoundationEssentials

/// How the operator tools write times: instants in UTC (ISO 8601), durations short ("0.4s", "42s", "3m 05s", "2h 07m").
public enum OperationsFormat {
    public static func instant(_ epoch: Double) -> String {
        Date(timeIntervalSince1970: epoch).formatted(.iso8601)
    }

    public static func duration(_ seconds: Double) -> String {
        // Under 10 s with tenths: a dialog answered in 0.4 s should not read "0s".
        if seconds < 10 {
            let tenths = Int((max(0, seconds) * 10).rounded(.down))
            return "\(tenths / 10).\(tenths % 10)s"
        }
        let total = Int(seconds.rounded(.down))
        if total < 60 { return "\(total)s" }
        if total < 3600 { return "\(total / 60)m " + pad(total % 60) + "s" }
        if total < 86400 { return "\(total / 3600)h " + pad(total % 3600 / 60) + "m" }
        return "\(total / 86400)d " + pad(total % 86400 / 3600) + "h"
    }

    /// A last run: "12s ago", or "never" when no run was recorded.
    public static func lastRun(_ run: OperationsStatus.LastRun) -> String {
        run.secondsAgo.map { self.duration($0) + " ago" } ?? "never"
    }

    /// A ratio as a percentage with one decimal ("37.5%").
    public static func percent(_ ratio: Double) -> String {
        let tenths = Int((ratio * 1000).rounded())
        return "\(tenths / 10).\(tenths % 10)%"
    }

    /// Counts by name, sorted by name: "cancelled 2, completed 5" ("none" when empty).
    public static func pairs(_ counts: [String: Int]) -> String {
        counts.isEmpty ? "none" : counts.keys.sorted().map { "\($0) \(counts[$0]!)" }.joined(separator: ", ")
    }

    /// Bytes as lower-case hex.
    public static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { byte in (byte < 16 ? "0" : "") + String(byte, radix: 16) }.joined()
    }

    /// `30m`, `24h`, `7d` back from `now`, or a UTC date `YYYY-MM-DD`; nil when it is neither.
    public static func parseSince(_ text: String, now: Double) -> Double? {
        let units: [Character: Double] = ["m": 60, "h": 3600, "d": 86400]
        if let unit = text.last.flatMap({ units[$0] }), let count = Int(text.dropLast()), count > 0 {
            return now - Double(count) * unit
        }
        guard let date = try? Date(text + "T00:00:00Z", strategy: .iso8601) else { return nil }
        return date.timeIntervalSince1970
    }

    private static func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    /// JSON for `--json` output: keys sorted, so the output is stable.
    public static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
