/// One request as nginx passed it over FastCGI: the parameters the handlers need and the body.
public struct FastCGIRequest: Sendable {
    public var method: String
    /// The path without the query string (`DOCUMENT_URI`).
    public var path: String
    /// The raw query string, without `?`.
    public var query: String
    /// Request headers, names lower-cased with dashes (`x-telegram-bot-api-secret-token`).
    public var headers: [String: String]
    public var contentType: String
    public var body: [UInt8]
    /// nginx's `$request_id` (passed as `REQUEST_ID`), or an `X-Request-Id` header, for log correlation.
    public var requestID: String
    public var remoteAddress: String

    public init(
        method: String, path: String, query: String = "", headers: [String: String] = [:], contentType: String = "",
        body: [UInt8] = [], requestID: String = "", remoteAddress: String = ""
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.contentType = contentType
        self.body = body
        self.requestID = requestID
        self.remoteAddress = remoteAddress
    }

    /// A header by case-insensitive name.
    public func header(_ name: String) -> String? { self.headers[name.lowercased()] }

    /// The query parameters, percent-decoded (`+` as space); the first occurrence of a name wins.
    public var queryParameters: [String: String] { FormURLEncoding.decode(self.query) }
}

/// The answer a handler gives: status, headers and body.
public struct FastCGIResponse: Sendable, Equatable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response; `json` must already be serialised JSON text.
    public static func json(_ status: Int, _ json: String, headers: [String: String] = [:]) -> FastCGIResponse {
        var all = headers
        all["Content-Type"] = "application/json"
        return FastCGIResponse(status: status, headers: all, body: Array(json.utf8))
    }

    /// The body as UTF-8 text.
    public var text: String { String(decoding: self.body, as: UTF8.self) }

    /// The bytes of the CGI-style response head and body as libfcgi expects them on stdout.
    func serialized() -> [UInt8] {
        var head = "Status: \(self.status) \(Self.reason(self.status))\r\n"
        for (name, value) in self.headers.sorted(by: { $0.key < $1.key }) where name.lowercased() != "content-length" {
            head += "\(name): \(value)\r\n"
        }
        head += "Content-Length: \(self.body.count)\r\n\r\n"
        return Array(head.utf8) + self.body
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 413: "Payload Too Large"
        case 415: "Unsupported Media Type"
        case 422: "Unprocessable Entity"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }
}

/// `application/x-www-form-urlencoded` decoding, used for query strings and form bodies.
public enum FormURLEncoding {
    /// Decodes `a=1&b=x+y` into a dictionary; the first occurrence of a name wins. `clean` maps each decoded
    /// name and value first (the webhook edge drops control characters with it).
    public static func decode(_ text: String, cleaning clean: (String) -> String = { $0 }) -> [String: String] {
        var result: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = self.unescape(parts[0]).map(clean), !name.isEmpty else { continue }
            let value = parts.count > 1 ? (self.unescape(parts[1]).map(clean) ?? "") : ""
            if result[name] == nil { result[name] = value }
        }
        return result
    }

    /// Percent-decodes one component (`+` is a space); nil for malformed escapes. Invalid UTF-8 becomes U+FFFD,
    /// as in a body read with `String(decoding:as:)`.
    public static func unescape(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(Self.hexValue), let low = iterator.next().flatMap(Self.hexValue)
                else { return nil }
                bytes.append(high << 4 | low)
            default: bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
