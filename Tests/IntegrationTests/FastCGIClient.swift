import Foundation
import Glibc
import TestSupport

/// A minimal FastCGI client over a unix socket, for talking to a responder without nginx.
enum FastCGIClient {
    /// Connects to a unix stream socket; the descriptor has 3 s send/receive timeouts.
    static func connect(_ path: String) throws -> Int32 {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw StackError("socket(AF_UNIX) failed: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(descriptor)
            throw StackError("socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: bytes)
            buffer[bytes.count] = 0
        }
        var timeout = timeval(tv_sec: 3, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard status == 0 else {
            let code = errno
            close(descriptor)
            throw StackError("connect(\(path)) failed: errno \(code)")
        }
        return descriptor
    }

    /// The bytes of one complete responder request (BEGIN_REQUEST, PARAMS, STDIN), request id 1.
    static func encodeRequest(params: [(String, String)], body: [UInt8] = []) -> [UInt8] {
        var out: [UInt8] = []
        // BEGIN_REQUEST: role 1 (responder), flags 0 (close the connection after the answer).
        out += record(type: 1, content: [0, 1, 0, 0, 0, 0, 0, 0])
        var encoded: [UInt8] = []
        for (name, value) in params {
            encoded += length(name.utf8.count) + length(value.utf8.count) + Array(name.utf8) + Array(value.utf8)
        }
        var offset = 0
        while offset < encoded.count {
            let end = min(offset + 65535, encoded.count)
            out += record(type: 4, content: Array(encoded[offset..<end]))
            offset = end
        }
        out += record(type: 4, content: [])
        offset = 0
        while offset < body.count {
            let end = min(offset + 65535, body.count)
            out += record(type: 5, content: Array(body[offset..<end]))
            offset = end
        }
        out += record(type: 5, content: [])
        return out
    }

    private static func length(_ count: Int) -> [UInt8] {
        count < 128
            ? [UInt8(count)]
            : [UInt8((count >> 24) & 0x7f) | 0x80, UInt8((count >> 16) & 0xff), UInt8((count >> 8) & 0xff), UInt8(count & 0xff)]
    }

    private static func record(type: UInt8, content: [UInt8]) -> [UInt8] {
        let padding = (8 - content.count % 8) % 8
        return [1, type, 0, 1, UInt8(content.count >> 8), UInt8(content.count & 0xff), UInt8(padding), 0]
            + content + [UInt8](repeating: 0, count: padding)
    }

    /// Writes all bytes (throws on a short write).
    static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw StackError("send failed: errno \(errno)") }
            sent += count
        }
    }

    /// Reads records until END_REQUEST and returns the concatenated STDOUT (CGI head and body).
    static func readResponse(_ descriptor: Int32) throws -> String {
        var buffer: [UInt8] = []
        var stdout: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            // Parse every complete record in the buffer.
            while buffer.count >= 8 {
                let contentLength = Int(buffer[4]) << 8 | Int(buffer[5])
                let total = 8 + contentLength + Int(buffer[6])
                guard buffer.count >= total else { break }
                let type = buffer[1]
                if type == 6 { stdout += buffer[8..<(8 + contentLength)] }
                if type == 3 { return String(decoding: stdout, as: UTF8.self) }
                buffer.removeFirst(total)
            }
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard count > 0 else {
                throw StackError(
                    "connection ended before END_REQUEST (recv \(count), errno \(errno)); stdout so far: "
                        + String(decoding: stdout, as: UTF8.self))
            }
            buffer += chunk[0..<count]
        }
    }

    /// One request/answer exchange on a new connection.
    static func request(socket path: String, params: [(String, String)], body: [UInt8] = []) throws -> String {
        let descriptor = try connect(path)
        defer { close(descriptor) }
        try writeAll(descriptor, encodeRequest(params: params, body: body))
        return try readResponse(descriptor)
    }

    /// The CGI params nginx would send for a simple request.
    static func params(
        method: String, path: String, query: String = "", contentType: String = "", contentLength: Int? = nil
    )
        -> [(String, String)]
    {
        [
            ("REQUEST_METHOD", method), ("DOCUMENT_URI", path), ("SCRIPT_NAME", path), ("QUERY_STRING", query),
            ("CONTENT_TYPE", contentType), ("CONTENT_LENGTH", contentLength.map(String.init) ?? ""),
            ("REQUEST_ID", "it-" + TestStack.randomHex(8)),
        ]
    }
}
