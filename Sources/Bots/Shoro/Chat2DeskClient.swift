import Edge
public import Curl
import FoundationEssentials
public import Platform
import Redis
public import Storage

/// Sends replies through Chat2Desk's `POST /v1/messages` with the raw token, under the shared rate limit.
///
/// Failure means a non-2xx status or `"status":"error"` in a 200. After a timeout that may have
/// reached Chat2Desk, the client asks `GET /v1/messages` whether its message (tagged with
/// `external_id`) arrived before sending again, so an ambiguous failure does not duplicate a reply.
/// Chat2Desk may still be working on the request it gave up on, so it keeps asking for a while.
public struct Chat2DeskClient {
    private let baseURL: String
    private let token: String
    private let http: HTTPClient
    private let redis: LazyRedis
    private let limiter: SlidingWindowLimiter
    private let clock: Clock
    private let timeout: Double
    private let connectTimeout: Double

    public init(
        baseURL: String, token: String, rateLimitPerMinute: Int, timeout: Double, connectTimeout: Double,
        http: HTTPClient, redis: LazyRedis, clock: Clock = .system
    ) {
        self.baseURL = baseURL
        self.token = token
        self.http = http
        self.redis = redis
        self.limiter = SlidingWindowLimiter(name: "chat2desk", limit: rateLimitPerMinute, windowSeconds: 60)
        self.clock = clock
        self.timeout = timeout
        self.connectTimeout = connectTimeout
    }

    /// The outbox body for a reply (`external_id` is added at send time from the outbox id).
    public static func payload(clientID: String, text: String, transport: String?, channelID: String?) -> String {
        var object: [String: JSONValue] = ["client_id": Int64(clientID).map(JSONValue.integer) ?? .string(clientID),
                                           "text": .string(text), "type": .string("to_client")]
        if let transport { object["transport"] = .string(transport) }
        if let channelID, let id = Int64(channelID) { object["channel_id"] = .integer(id) }
        return JSONValue.object(object).serialized
    }

    /// A rate-limit slot asked for ahead of the send (see `reserveSlot`); used by the next `send` given it.
    public final class SlotReservation {
        fileprivate var request: SlidingWindowLimiter.Request?
        /// Whether the slot was taken and not yet used by a send.
        fileprivate var unusedSlot = false
        fileprivate var member: String?

        fileprivate init(_ request: SlidingWindowLimiter.Request) { self.request = request }
    }

    /// Asks Redis for a send slot without waiting for the answer, so the drain spends that round trip (an AOF
    /// fsync with `appendfsync always`) on its PostgreSQL step instead of waiting for it before the send.
    /// Pass the reservation to `send`, and to `release` when done (an unused slot is given back). Nil when
    /// Redis is unavailable (`send` then acquires the usual way).
    public func reserveSlot() -> SlotReservation? {
        guard let request = try? self.redis.with({ try self.limiter.startTryAcquire(nowMilliseconds: self.clock.nowMilliseconds, on: $0) })
        else { return nil }
        return SlotReservation(request)
    }

    /// Gives back the reservation's slot if no send used it (best effort).
    public func release(_ reservation: SlotReservation?) {
        guard let reservation else { return }
        self.settle(reservation)
        guard reservation.unusedSlot, let member = reservation.member else { return }
        reservation.unusedSlot = false
        _ = try? self.redis.with { try self.limiter.release(member: member, on: $0) }
    }

    /// Reads the reservation's answer once.
    private func settle(_ reservation: SlotReservation) {
        guard let request = reservation.request else { return }
        reservation.request = nil
        reservation.member = request.member
        reservation.unusedSlot = ((try? self.limiter.finishTryAcquire(request)) ?? 1) <= 0
    }

    /// One attempt to deliver an outbox message.
    /// - Parameter heartbeat: called while waiting after an ambiguous failure (the drain extends its lease there).
    /// - Parameter reservation: a slot from `reserveSlot`; used if it was granted, otherwise a slot is acquired.
    public func send(
        _ message: Outbox.Message, heartbeat: () -> Void = {}, reservation: SlotReservation? = nil
    ) -> Outbox.SendOutcome {
        let externalID = "outbox-\(message.id)"
        guard var body = JSONValue.parse(message.payload)?.objectValue else {
            return .rejected(error: "outbox payload is not a JSON object")
        }
        body["external_id"] = .string(externalID)
        // A row another sender may have sent before it died (or before its outcome could be stored) is looked up
        // first: sending it again would show the customer the same reply twice. When the lookup fails there is no
        // evidence either way, and a reply twice is better than none.
        if !message.isFresh, self.wasDelivered(clientID: body["client_id"], externalID: externalID) == true {
            return .delivered
        }
        if let reservation { self.settle(reservation) }
        if let reservation, reservation.unusedSlot {
            reservation.unusedSlot = false  // this send takes the reserved slot
        } else {
            do {
                if let wait = try self.redis.with({ try self.limiter.acquire(maxWaitSeconds: 30, clock: self.clock, on: $0) }) {
                    return .failed(error: "rate limit: no slot for \(Int(wait.rounded(.up))) s", retryAfter: wait)
                }
            } catch {
                return .failed(error: "rate limiter unavailable: \(error)", retryAfter: nil)
            }
        }
        let request = HTTPRequest(
            method: "POST", url: self.baseURL + "/v1/messages",
            headers: [("Authorization", self.token), ("Content-Type", "application/json")],
            body: Array(JSONValue.object(body).serialized.utf8), connectTimeout: self.connectTimeout,
            totalTimeout: self.timeout)
        let response: HTTPResponse
        do {
            response = try self.http.perform(request)
        } catch {
            if error.isAmbiguous, self.awaitDelivery(clientID: body["client_id"], externalID: externalID, heartbeat: heartbeat) {
                return .delivered
            }
            return .failed(error: "\(error)", retryAfter: nil)
        }
        return self.interpret(response)
    }

    private func interpret(_ response: HTTPResponse) -> Outbox.SendOutcome {
        let envelope = JSONValue.parse(response.text)?.objectValue
        let status = envelope?["status"]?.stringValue
        let message = envelope?["message"]?.stringValue ?? ""
        let retryAfter = response.header("retry-after").flatMap(Double.init)
        if response.status == 429 || message.contains("Number of API requests exceeded") {
            let wait = retryAfter ?? 5
            _ = try? self.redis.with { try self.limiter.pause(seconds: wait, on: $0) }
            return .failed(error: "chat2desk 429: \(message)", retryAfter: wait)
        }
        if (200..<300).contains(response.status) {
            return status == "success" ? .delivered : .failed(error: "chat2desk status error: \(message)", retryAfter: nil)
        }
        if response.status == 400 || response.status == 404 || response.status == 422 {
            return .rejected(error: "chat2desk \(response.status): \(message)")
        }
        return .failed(error: "chat2desk \(response.status): \(message.isEmpty ? "non-JSON answer" : message)", retryAfter: retryAfter)
    }

    /// After an ambiguous failure: did the request we gave up on reach the client after all? A request that timed
    /// out may still be applied when Chat2Desk finishes it, so this looks again (backing off) for up to twice the
    /// timeout before concluding it was not; it stops at once when the lookup itself fails (no evidence either way).
    private func awaitDelivery(clientID: JSONValue?, externalID: String, heartbeat: () -> Void) -> Bool {
        let deadline = monotonicSeconds() + 2 * self.timeout
        var pause = 0.25
        while true {
            heartbeat()
            guard let delivered = self.wasDelivered(clientID: clientID, externalID: externalID) else { return false }
            let remaining = deadline - monotonicSeconds()
            if delivered || remaining <= 0 { return delivered }
            sleepSeconds(min(pause, remaining))
            pause = min(pause * 2, 2)
        }
    }

    /// Whether a message with our `external_id` reached the client; nil when Chat2Desk could not be asked.
    private func wasDelivered(clientID: JSONValue?, externalID: String) -> Bool? {
        guard let client = clientID?.serialized else { return nil }
        let request = HTTPRequest(
            method: "GET", url: self.baseURL + "/v1/messages?client_id=\(client)&limit=50",
            headers: [("Authorization", self.token)], connectTimeout: self.connectTimeout, totalTimeout: self.timeout)
        guard let response = try? self.http.perform(request), response.status == 200,
              let items = JSONValue.parse(response.text)?.objectValue?["data"]?.arrayValue
        else { return nil }
        return items.contains { $0.objectValue?["external_id"]?.stringValue == externalID }
    }
}
