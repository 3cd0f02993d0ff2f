import Messages

/// An OAuth 2 token endpoint's answer (`access_token`, `expires_in`), as Google and Zoom both send it.
enum OAuthTokenResponse {
    /// The token and its lifetime in seconds; nil when either is missing, empty or not positive.
    static func parse(_ text: String) -> (token: String, expiresIn: Double)? {
        guard let object = JSONValue.parse(text)?.objectValue,
            let token = object["access_token"]?.stringValue, !token.isEmpty,
            let expiresIn = object["expires_in"].flatMap({ $0.stringValue.flatMap(Double.init) }), expiresIn > 0
        else { return nil }
        return (token, expiresIn)
    }
}
