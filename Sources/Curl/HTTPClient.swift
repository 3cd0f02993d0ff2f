import CCurl
import Glibc

/// A blocking HTTP client over one libcurl easy handle, reused so connections stay alive.
///
/// libcurl: "you must never share the same handle in multiple threads", so this class is not
/// `Sendable`; each worker thread owns one. TLS peer and host verification stay on (libcurl's default).
public final class HTTPClient {
    private let handle: UnsafeMutableRawPointer

    /// Initialises libcurl once per process; must run before any thread is started (libcurl 7.88:
    /// `curl_global_init` is not thread-safe).
    public static func globalInit() {
        _ = curl_global_init(Int(CURL_GLOBAL_DEFAULT))
    }

    public init() {
        guard let handle = curl_easy_init() else { fatalError("curl_easy_init failed: out of memory") }
        self.handle = handle
    }

    deinit { curl_easy_cleanup(self.handle) }

    /// Performs the request and returns whatever status the server answered with.
    public func perform(_ request: HTTPRequest) throws(CurlError) -> HTTPResponse {
        curl_easy_reset(self.handle)
        let collector = ResponseCollector()
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }

        // String options are copied by libcurl.
        _ = ccurl_setopt_string(self.handle, CURLOPT_URL, request.url)
        _ = ccurl_setopt_long(self.handle, CURLOPT_NOSIGNAL, 1)
        _ = ccurl_setopt_long(self.handle, CURLOPT_CONNECTTIMEOUT_MS, Int(request.connectTimeout * 1000))
        _ = ccurl_setopt_long(self.handle, CURLOPT_TIMEOUT_MS, Int(request.totalTimeout * 1000))
        _ = ccurl_setopt_long(self.handle, CURLOPT_SSL_VERIFYPEER, 1)
        _ = ccurl_setopt_long(self.handle, CURLOPT_SSL_VERIFYHOST, 2)
        _ = ccurl_setopt_long(self.handle, CURLOPT_TCP_NODELAY, 1)
        _ = ccurl_setopt_long(self.handle, CURLOPT_PROTOCOLS, Int(CURLPROTO_HTTP | CURLPROTO_HTTPS))
        _ = ccurl_setopt_string(self.handle, CURLOPT_CUSTOMREQUEST, request.method)
        if request.method == "HEAD" { _ = ccurl_setopt_long(self.handle, CURLOPT_NOBODY, 1) }
        if let limit = request.maxResponseBytes {
            // Refuses up front when Content-Length says too much; the write callback enforces it when it lies.
            _ = ccurl_setopt_off(self.handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(limit))
            collector.limit = limit
        }
        let context = Unmanaged.passUnretained(collector).toOpaque()
        if let body = request.body {
            // The body goes through a read callback with no seek callback, not (COPY)POSTFIELDS: when a reused
            // keep-alive connection dies without an answer, libcurl silently re-sends the request on a new one
            // ("Connection died, retrying a fresh connect"), which for a POST the server already applied would
            // deliver it twice. Unable to rewind the body, libcurl fails with CURLE_SEND_FAIL_REWIND instead,
            // reported as `connectionLostAfterSend` (ambiguous).
            collector.upload = body
            _ = ccurl_setopt_long(self.handle, CURLOPT_POST, 1)
            _ = ccurl_setopt_off(self.handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            // curl_read_callback has the same C signature as curl_write_callback.
            _ = ccurl_setopt_write_function(self.handle, CURLOPT_READFUNCTION) { buffer, size, count, context in
                let collector = Unmanaged<ResponseCollector>.fromOpaque(context!).takeUnretainedValue()
                let length = min(size * count, collector.upload.count - collector.uploaded)
                if let buffer, length > 0 {
                    collector.upload.withUnsafeBytes { source in
                        UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress! + collector.uploaded, byteCount: length)
                    }
                    collector.uploaded += length
                }
                return length
            }
            _ = ccurl_setopt_pointer(self.handle, CURLOPT_READDATA, context)
        }
        // An empty Expect stops libcurl from waiting for `100 Continue` on larger bodies.
        for line in request.headers.map({ "\($0.name): \($0.value)" }) + ["Expect:"] {
            headerList = curl_slist_append(headerList, line)
        }
        _ = ccurl_setopt_slist(self.handle, CURLOPT_HTTPHEADER, headerList)

        _ = ccurl_setopt_write_function(self.handle, CURLOPT_WRITEFUNCTION) { data, size, count, context in
            let collector = Unmanaged<ResponseCollector>.fromOpaque(context!).takeUnretainedValue()
            let length = size * count
            if let limit = collector.limit, collector.body.count + length > limit {
                collector.exceededLimit = true
                return 0  // anything but `length` aborts the transfer (CURLE_WRITE_ERROR)
            }
            if let data { collector.body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length)) }
            return length
        }
        _ = ccurl_setopt_pointer(self.handle, CURLOPT_WRITEDATA, context)
        _ = ccurl_setopt_write_function(self.handle, CURLOPT_HEADERFUNCTION) { data, size, count, context in
            let collector = Unmanaged<ResponseCollector>.fromOpaque(context!).takeUnretainedValue()
            let length = size * count
            if let data {
                collector.addHeaderLine(UnsafeRawBufferPointer(start: data, count: length))
            }
            return length
        }
        _ = ccurl_setopt_pointer(self.handle, CURLOPT_HEADERDATA, context)
        if let heartbeat = TransferHeartbeat.current {
            // A slow answer (OpenAI, Whisper) must not let the caller's lease lapse: libcurl calls this about once a
            // second even while nothing arrives. `curl_easy_reset` turns it off again for the next request.
            _ = ccurl_setopt_long(self.handle, CURLOPT_NOPROGRESS, 0)
            _ = ccurl_setopt_xferinfo_function(self.handle, CURLOPT_XFERINFOFUNCTION) { beat, _, _, _, _ in
                Unmanaged<TransferHeartbeat.Beat>.fromOpaque(beat!).takeUnretainedValue().beatIfDue()
                return 0  // non-zero would abort the transfer
            }
            _ = ccurl_setopt_pointer(self.handle, CURLOPT_XFERINFODATA, heartbeat)
        }

        let code = withExtendedLifetime(collector) { curl_easy_perform(self.handle) }
        guard code == CURLE_OK else {
            if collector.exceededLimit || code == CURLE_FILESIZE_EXCEEDED {
                let limit = request.maxResponseBytes ?? 0
                throw CurlError(code: .responseTooLarge, curlCode: Int(code.rawValue), message: "response body over \(limit) bytes")
            }
            throw self.classify(code)
        }
        var status = 0
        _ = ccurl_getinfo_long(self.handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, headers: collector.headers, body: collector.body)
    }

    /// Decides whether a failed transfer could have reached the server, from how much was sent.
    private func classify(_ code: CURLcode) -> CurlError {
        let message = String(cString: curl_easy_strerror(code))
        var requestBytes = 0
        _ = ccurl_getinfo_long(self.handle, CURLINFO_REQUEST_SIZE, &requestBytes)
        let sent = requestBytes > 0
        let kind: CurlError.Code
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT:
            kind = .couldNotConnect
        case CURLE_OPERATION_TIMEDOUT:
            kind = sent ? .timedOutAfterSend : .couldNotConnect
        case CURLE_SEND_FAIL_REWIND:
            kind = .connectionLostAfterSend  // a re-send was needed, so the request went out once already
        case CURLE_GOT_NOTHING, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_PARTIAL_FILE:
            kind = sent ? .connectionLostAfterSend : .couldNotConnect
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE:
            kind = .tls
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            kind = .invalidRequest
        default:
            kind = sent ? .connectionLostAfterSend : .other
        }
        return CurlError(code: kind, curlCode: Int(code.rawValue), message: message)
    }
}

/// Collects the body and headers during one transfer; reached from C callbacks through an unretained pointer.
private final class ResponseCollector {
    var body: [UInt8] = []
    /// The request body and how much of it libcurl has read.
    var upload: [UInt8] = []
    var uploaded = 0
    var headers: [String: String] = [:]
    /// `HTTPRequest.maxResponseBytes`, and whether the body went over it.
    var limit: Int?
    var exceededLimit = false

    /// One header line as libcurl hands it over (with its CRLF). Names and the edges of values are ASCII in practice,
    /// so they are cut and lower-cased on the bytes; only the value and the name become Strings (a send to a desk
    /// or a bot API reads a dozen lines per reply).
    func addHeaderLine(_ line: UnsafeRawBufferPointer) {
        if line.starts(with: "HTTP/".utf8) {
            // A new status line (redirect or 100 Continue): headers of earlier responses are dropped.
            self.headers = [:]
            return
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return }
        let name = line[..<colon]
        var start = colon + 1
        var end = line.count
        while start < end, Self.isASCIIWhitespace(line[start]) { start += 1 }
        while end > start, Self.isASCIIWhitespace(line[end - 1]) { end -= 1 }
        // The Character trim after the byte trim keeps what a non-ASCII space at a value's edge always got.
        let value = String(decoding: line[start..<end], as: UTF8.self).trimmingWhitespace()
        let key =
            name.allSatisfy { $0 < 0x80 }
            ? String(decoding: name.map(Self.asciiLowercased), as: UTF8.self) : String(decoding: name, as: UTF8.self).lowercased()
        self.headers[key] = value
    }

    private static func isASCIIWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n")
    }

    private static func asciiLowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
    }
}

extension StringProtocol {
    fileprivate func trimmingWhitespace() -> String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice = slice.dropFirst() }
        while let last = slice.last, last.isWhitespace { slice = slice.dropLast() }
        return String(slice)
    }
}
