public import FastCGI
public import Logging
public import Platform

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

    /// Queues one webhook message (de-duplicated by `dedupeID`, atomically with the enqueue) and answers:
    /// 200 `"queued":true`, 200 `"duplicate":true`, or 503 with Retry-After when Redis cannot take it, so the
    /// platform retries and nothing was half-stored. `queued` reports a new message (false for a duplicate).
    public static func enqueue(
        _ payload: @autoclosure () throws -> String, on queue: InboundQueue, conversation: String, dedupeID: String,
        dedupeSeconds: Int, redis: LazyRedis, logger: Logger, requestID: String,
        queued onQueued: (Bool) -> Void = { _ in }
    ) -> FastCGIResponse {
        do {
            let payload = try payload()
            // A reconnect and second try is safe: the dedupe key turns an applied first attempt into a duplicate.
            let queued = try redis.withReconnect { connection in
                try queue.enqueue(
                    payload, conversation: conversation, dedupeID: dedupeID, dedupeSeconds: dedupeSeconds, on: connection)
            }
            onQueued(queued)
            return self.ok(queued ? #""queued":true"# : #""queued":false,"duplicate":true"#)
        } catch {
            logger.error("enqueue failed", metadata: ["request.id": "\(requestID)", "queue": "\(queue.name)", "error": "\(error)"])
            return self.error(503, "unavailable", "the queue is unavailable, retry later", headers: ["Retry-After": "5"])
        }
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
