public import Redis

/// What the inbound queues need from Redis before a webhook may be acknowledged: every write appended to the AOF
/// and fsynced before Redis replies, and no key ever evicted (an evicted queue loses acknowledged messages).
/// Checked, not trusted: the responders at start-up and `GET /health` ask the server.
public enum RedisDurability {
    /// The settings and the values they need, in the order they are reported.
    public static let requirements: [(setting: String, required: String)] = [
        ("appendonly", "yes"), ("appendfsync", "always"), ("maxmemory-policy", "noeviction"),
    ]

    /// One setting with another value than the queue needs.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public let setting: String
        public let value: String
        public let required: String

        public var description: String { "\(self.setting) is \(self.value), needs \(self.required)" }
    }

    public enum Status: Sendable, Equatable {
        case durable
        case insufficient([Problem])
        /// `CONFIG` is renamed, disabled or not allowed for this user (managed Redis): the settings cannot be read.
        case unverified(reason: String)
    }

    /// Reads the settings with `CONFIG GET` (one pipeline, one round trip). Throws only when the connection fails.
    public static func check(on connection: RedisConnection) throws(RedisError) -> Status {
        let replies = try connection.pipeline(self.requirements.map { ["CONFIG", "GET", $0.setting] })
        var problems: [Problem] = []
        for (requirement, reply) in zip(self.requirements, replies) {
            if case .error(let message) = reply { return .unverified(reason: message) }
            // A name/value pair; an unknown setting (a Redis too old to have it) is an empty array.
            let value = reply.array.flatMap { $0.count == 2 ? $0[1].string : nil }?.lowercased() ?? "unknown"
            if value != requirement.required {
                problems.append(Problem(setting: requirement.setting, value: value, required: requirement.required))
            }
        }
        return problems.isEmpty ? .durable : .insufficient(problems)
    }
}
