public import FastCGI
import Platform

/// Small JSON error answers shared by every responder, so each edge maps errors the same way.
public enum HTTPEdge {
    /// `{"error": code, "message": text}` with the given status.
    public static func error(_ status: Int, _ code: String, _ message: String, headers: [String: String] = [:]) -> FastCGIResponse {
        .json(status, "{\"error\":\(JSONText.quote(code)),\"message\":\(JSONText.quote(message))}", headers: headers)
    }

    /// 405 naming the allowed methods.
    public static func methodNotAllowed(allowed: [String]) -> FastCGIResponse {
        self.error(405, "method_not_allowed", "use \(allowed.joined(separator: " or "))",
                   headers: ["Allow": allowed.joined(separator: ", ")])
    }

    /// 200 `{"ok":true}` plus optional fields.
    public static func ok(_ extra: String = "") -> FastCGIResponse {
        .json(200, extra.isEmpty ? #"{"ok":true}"# : "{\"ok\":true,\(extra)}")
    }
}

/// JSON string quoting for hand-built bodies.
public enum JSONText {
    public static func quote(_ text: String) -> String { JSONLogHandler.quote(text) }
}

/// Why a webhook body was refused (answered 400 with this message).
public struct InvalidWebhookBody: Error, Sendable, Equatable {
    public let message: String
    public init(message: String) { self.message = message }
}
