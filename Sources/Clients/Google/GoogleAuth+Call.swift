import Curl
import Logging
import Messages
import Platform

extension GoogleAuth {
    /// One logical API call: authorised, retried on transport failures and on answers `isRetryable` accepts,
    /// with the policy's backoff. Returns the first answer that is not retried (2xx or a final 4xx) for the caller
    /// to interpret; throws `GoogleError(.unavailable)` once the attempts are spent.
    ///
    /// Every call made through here must be safe to repeat (explicit ranges, client-chosen ids, patch, delete):
    /// a transport failure is retried even when the request may have been applied.
    func call(
        _ method: String, _ url: String, json: String? = nil, policy: GoogleRetryPolicy,
        isRetryable: (Int, GoogleErrorBody) -> Bool
    ) throws -> HTTPResponse {
        let request = HTTPRequest.jsonAPI(method, url, json: json, connectTimeout: self.connectTimeout, totalTimeout: self.timeout)
        var attempt = 0
        var ambiguous = false
        while true {
            let failure: GoogleError
            var retryAfter: String?
            do {
                let response = try self.perform(request)
                let error = (200..<300).contains(response.status) ? nil : GoogleErrorBody.parse(response.text)
                guard let error, isRetryable(response.status, error) else { return response }
                failure = GoogleError(
                    code: .unavailable, status: response.status, reason: error.reason, message: error.message,
                    ambiguous: ambiguous)
                retryAfter = response.header("retry-after")
            } catch let error as CurlError {
                ambiguous = ambiguous || error.isAmbiguous
                failure = GoogleError(code: .unavailable, message: "\(error)", ambiguous: ambiguous)
            }
            guard attempt < policy.delays.count else { throw failure }
            let wait = policy.delay(after: attempt, retryAfter: retryAfter)
            self.logger.warning(
                "google api call failed; retrying",
                metadata: [
                    "google.call": "\(method) \(Self.path(url))", "error": "\(failure)", "retry.in": "\(wait)",
                    "retry.attempt": "\(attempt + 1)",
                ])
            TransferHeartbeat.sleep(seconds: wait)  // beats: a wait inside a drain step keeps its lease
            attempt += 1
        }
    }

    /// Percent-encodes one URL path segment or query value (everything but RFC 3986 unreserved characters).
    static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}

/// Rejected answers as `GoogleError(.rejected)`, with Google's reason.
func rejection(_ response: HTTPResponse, _ what: String) -> GoogleError {
    let body = GoogleErrorBody.parse(response.text)
    return GoogleError(code: .rejected, status: response.status, reason: body.reason, message: "\(what): \(body.message)")
}
