/// A `multipart/form-data` body (RFC 7578) built in memory: text fields and files.
///
/// The boundary is random so it cannot be guessed from the content; that is formatting, not security.
public struct MultipartFormData: Sendable {
    public let boundary: String
    private var bytes: [UInt8] = []

    public init(boundary: String = MultipartFormData.randomBoundary()) {
        self.boundary = boundary
    }

    /// `multipart/form-data; boundary=...`, for the `Content-Type` header.
    public var contentType: String { "multipart/form-data; boundary=\(self.boundary)" }

    /// Adds a text field.
    public mutating func addField(name: String, value: String) {
        self.appendHeader("Content-Disposition: form-data; name=\"\(Self.escape(name))\"")
        self.bytes += Array("\r\n".utf8) + Array(value.utf8) + Array("\r\n".utf8)
    }

    /// Adds a file part with its file name and media type.
    public mutating func addFile(name: String, fileName: String, contentType: String, data: [UInt8]) {
        self.appendHeader(
            "Content-Disposition: form-data; name=\"\(Self.escape(name))\"; filename=\"\(Self.escape(fileName))\"\r\n"
                + "Content-Type: \(Self.escape(contentType))")
        self.bytes += Array("\r\n".utf8)
        self.bytes += data
        self.bytes += Array("\r\n".utf8)
    }

    /// The complete body, closing delimiter included.
    public var body: [UInt8] { self.bytes + Array("--\(self.boundary)--\r\n".utf8) }

    private mutating func appendHeader(_ header: String) {
        self.bytes += Array("--\(self.boundary)\r\n\(header)\r\n".utf8)
    }

    /// A boundary of 32 random hex digits after a fixed prefix (70 characters at most, per RFC 2046).
    public static func randomBoundary() -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = (0..<2).map { _ in
            let text = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - text.count) + text
        }
        return "chatbots-form-" + digits.joined()
    }

    /// Quotes, CR and LF percent-encoded, as browsers do for field and file names (WHATWG HTML).
    static func escape(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "%22"
            case "\r": result += "%0D"
            case "\n": result += "%0A"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
