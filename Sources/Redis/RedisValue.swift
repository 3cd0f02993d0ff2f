/// A reply from Redis, copied out of hiredis' `redisReply` so no C memory outlives the call.
public enum RedisValue: Sendable, Equatable {
    case null
    case integer(Int64)
    /// Bulk strings are binary-safe bytes.
    case bulk([UInt8])
    /// Simple status replies such as `OK` and `QUEUED`.
    case status(String)
    /// An error reply; `command(...)` turns these into thrown `RedisError`s, pipelines keep them in place.
    case error(String)
    case array([RedisValue])

    /// The value as UTF-8 text, for bulk and status replies.
    public var string: String? {
        switch self {
        case .bulk(let bytes): String(decoding: bytes, as: UTF8.self)
        case .status(let text): text
        case .integer(let value): String(value)
        default: nil
        }
    }

    /// The value as an integer, for integer replies and numeric bulk strings.
    public var integer: Int64? {
        switch self {
        case .integer(let value): value
        case .bulk: self.string.flatMap { Int64($0) }
        default: nil
        }
    }

    /// The elements of an array reply.
    public var array: [RedisValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    public var isNull: Bool { self == .null }
}
