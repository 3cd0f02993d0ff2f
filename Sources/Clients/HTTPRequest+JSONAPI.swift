import Curl
import Messages

/// Requests to the JSON APIs the bots call with OAuth tokens (Google, Zoom).
extension HTTPRequest {
    /// A request that accepts JSON and, with `json` (JSON text, from `JSONText.encode`), sends it.
    static func jsonAPI(
        _ method: String, _ url: String, json: String?, connectTimeout: Double, totalTimeout: Double
    ) -> HTTPRequest {
        var request = HTTPRequest(
            method: method, url: url, headers: [("Accept", "application/json")], body: nil,
            connectTimeout: connectTimeout, totalTimeout: totalTimeout)
        if let json {
            request.headers.append(("Content-Type", "application/json"))
            request.body = Array(json.utf8)
        }
        return request
    }

    /// The request with `Authorization: Bearer <token>` in place of any Authorization header it had.
    func authorised(bearer token: String) -> HTTPRequest {
        var request = self
        request.headers.removeAll { $0.name.lowercased() == "authorization" }
        request.headers.append(("Authorization", "Bearer " + token))
        return request
    }
}
