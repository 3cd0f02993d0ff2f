/// An error from the Redis wrapper: a connection-level failure or an error reply from the server.
public struct RedisError: Error, CustomStringConvertible, CustomDebugStringConvertible, Sendable {
    /// What went wrong, extensible without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Sendable {
            case connectionFailed, io, timeout, protocolError, serverError, unexpectedReply, scriptMissing
        }
        fileprivate let base: Base
        /// The server could not be reached (refused, unknown host, connect timeout).
        public static let connectionFailed = Code(base: .connectionFailed)
        /// The connection broke while a command was in flight; the command may or may not have run.
        public static let io = Code(base: .io)
        /// No reply within the command timeout; the command may or may not have run.
        public static let timeout = Code(base: .timeout)
        /// The reply could not be parsed.
        public static let protocolError = Code(base: .protocolError)
        /// The server answered with an error reply (`-ERR ...`).
        public static let serverError = Code(base: .serverError)
        /// A reply of an unexpected type for the command.
        public static let unexpectedReply = Code(base: .unexpectedReply)
        /// `NOSCRIPT`: the script is not in the server's cache.
        public static let scriptMissing = Code(base: .scriptMissing)
        public var description: String { self.base.rawValue }
    }

    /// The kind of failure.
    public let code: Code
    /// Detail from hiredis or the server; may name keys, so it is kept out of `description`.
    public let message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// True when the failure means the connection is gone and must be re-established.
    public var isConnectionError: Bool {
        self.code == .connectionFailed || self.code == .io || self.code == .timeout || self.code == .protocolError
    }

    /// True when the failure is about the server's availability, not the command: the connection is gone, or
    /// the server answered that it cannot serve now (still loading its AOF, a script busy, out of memory under
    /// `noeviction`, a replica that cannot write, a cluster slot moving). Retrying later can succeed.
    public var isTransient: Bool {
        if self.isConnectionError { return true }
        guard self.code == .serverError else { return false }
        return ["LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN", "OOM", "READONLY", "CLUSTERDOWN"].contains {
            self.message.hasPrefix($0)
        }
    }

    public var description: String { "RedisError(\(self.code))" }
    public var debugDescription: String { "RedisError(\(self.code)): \(self.message)" }
}
