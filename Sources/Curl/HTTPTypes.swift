/// An outbound HTTP request.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    /// Header lines as name/value pairs; names are sent as given.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]?
    /// Seconds allowed to establish the connection (TCP + TLS).
    public var connectTimeout: Double
    /// Seconds allowed for the whole exchange.
    public var totalTimeout: Double
    /// The largest response body accepted; a longer one aborts the transfer with `CurlError.Code.responseTooLarge`
    /// (checked against `Content-Length` up front and while receiving). nil: no limit.
    public var maxResponseBytes: Int?

    public init(
        method: String = "GET", url: String, headers: [(name: String, value: String)] = [], body: [UInt8]? = nil,
        connectTimeout: Double = 5, totalTimeout: Double = 10, maxResponseBytes: Int? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
        self.maxResponseBytes = maxResponseBytes
    }
}

/// The answer to an `HTTPRequest`: any status counts as an answer; only transport failures throw.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names lower-cased; the last value wins for repeated headers.
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The body as UTF-8 text.
    public var text: String { String(decoding: self.body, as: UTF8.self) }
    /// A header by case-insensitive name.
    public func header(_ name: String) -> String? { self.headers[name.lowercased()] }
}

/// A transport failure from libcurl, classified by whether the request may have reached the server.
public struct CurlError: Error, CustomStringConvertible, CustomDebugStringConvertible, Sendable {
    /// What went wrong, extensible without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Sendable {
            case couldNotConnect, timedOutAfterSend, connectionLostAfterSend, tls, invalidRequest, responseTooLarge, other
        }
        fileprivate let base: Base
        /// Nothing was sent: DNS failure, connection refused, or connect timeout. Safe to retry anything.
        public static let couldNotConnect = Code(base: .couldNotConnect)
        /// The request was sent and no complete answer came in time: the server may have acted on it.
        public static let timedOutAfterSend = Code(base: .timedOutAfterSend)
        /// The request was sent and the connection broke before a complete answer: the server may have acted.
        public static let connectionLostAfterSend = Code(base: .connectionLostAfterSend)
        /// TLS handshake or certificate verification failed; nothing was sent.
        public static let tls = Code(base: .tls)
        /// The request could not be built (bad URL, unsupported scheme).
        public static let invalidRequest = Code(base: .invalidRequest)
        /// The response body was longer than `HTTPRequest.maxResponseBytes`; the transfer was abandoned.
        public static let responseTooLarge = Code(base: .responseTooLarge)
        public static let other = Code(base: .other)
        public var description: String { self.base.rawValue }
    }

    public let code: Code
    /// libcurl's `CURLcode`.
    public let curlCode: Int
    public let message: String

    public init(code: Code, curlCode: Int, message: String) {
        self.code = code
        self.curlCode = curlCode
        self.message = message
    }

    /// True when the server may have processed the request: retrying a non-idempotent call may duplicate it.
    public var isAmbiguous: Bool { self.code == .timedOutAfterSend || self.code == .connectionLostAfterSend }

    public var description: String { "CurlError(\(self.code), curl \(self.curlCode))" }
    public var debugDescription: String { "CurlError(\(self.code), curl \(self.curlCode)): \(self.message)" }
}
