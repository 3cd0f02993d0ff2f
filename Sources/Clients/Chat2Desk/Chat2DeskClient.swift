public import Curl
import FoundationEssentials
public import Logging
import Messages
public import Platform
import Redis
public import Storage

/// Sends replies through Chat2Desk's `POST /v1/messages` with the raw token, under the shared rate limit.
///
/// Failure means a non-2xx status or `"status":"error"` in a 200. After a timeout that may have
/// reached Chat2Desk, the client asks `GET /v1/messages` whether its message (tagged with
/// `external_id`) arrived before sending again, so an ambiguous failure does not duplicate a reply.
/// Chat2Desk may still be working on the request it gave up on, so it keeps asking for a while.
/// Neither the list's order nor `external_id` in its items is documented: every page is searched, and a
/// list whose messages carry no `external_id` at all means the reply is sent again (see `Evidence`).
public struct Chat2DeskClient {
    private let baseURL: String
    private let token: String
    private let http: HTTPClient
    private let redis: LazyRedis
    private let limiter: SlidingWindowLimiter
    private let clock: Clock
    private let timeout: Double
    private let connectTimeout: Double
    private let logger: Logger

    public init(
        baseURL: String, token: String, rateLimitPerMinute: Int, timeout: Double, connectTimeout: Double,
        http: HTTPClient, redis: LazyRedis, clock: Clock = .system, logger: Logger
    ) {
        self.baseURL = baseURL
        self.token = token
        self.http = http
        self.redis = redis
        self.limiter = SlidingWindowLimiter(name: "chat2desk", limit: rateLimitPerMinute, windowSeconds: 60)
        self.clock = clock
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.logger = logger
    }

    /// The outbox body for a reply (`external_id` is added at send time from the outbox id).
    /// `type` "comment" is an internal note in the client's dialog: the desk's people see it, the client does not.
    public static func payload(
        clientID: String, text: String, transport: String?, channelID: String?, type: String = "to_client"
    ) -> String {
        JSONText.encode(
            MessageRequest(
                clientID: Int64(clientID).map(JSONValue.integer) ?? .string(clientID), text: text, type: type, transport: transport,
                channelID: channelID.flatMap { Int64($0) }))
    }

    /// The body of `POST /v1/messages` as the outbox keeps it (`external_id` is added at send time).
    struct MessageRequest: Encodable {
        /// A number, as Chat2Desk's ids are; kept as text if it ever is not one.
        var clientID: JSONValue
        var text: String
        var type: String
        var transport: String?
        var channelID: Int64?

        enum CodingKeys: String, CodingKey { case clientID = "client_id", text, type, transport, channelID = "channel_id" }
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

    /// The `POST /v1/messages` body: the stored payload (an object) with `external_id` set. A payload as PostgreSQL
    /// gives it back (the text of a `jsonb` object, valid and without our id) gets the member spliced in after its
    /// `{`: parsing and re-serialising every reply cost the drain more than the rest of the send. Anything else is
    /// parsed, and nil when it is not a JSON object.
    static func requestBody(payload: String, externalID: String) -> [UInt8]? {
        var bytes = Array(payload.utf8)
        let isSpace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
        while let last = bytes.last, isSpace(last) { bytes.removeLast() }
        let start = bytes.firstIndex { !isSpace($0) } ?? bytes.endIndex
        // Our id is ASCII letters, a dash and digits: nothing in it needs escaping.
        let member = Array(#""external_id": ""#.utf8) + Array(externalID.utf8) + [UInt8(ascii: "\"")]
        guard start < bytes.endIndex, bytes[start] == UInt8(ascii: "{"), bytes.last == UInt8(ascii: "}"),
            bytes.firstRange(of: Array(#""external_id""#.utf8)) == nil
        else {
            guard var object = JSONValue.parse(payload)?.objectValue else { return nil }
            object["external_id"] = .string(externalID)
            return Array(JSONValue.object(object).serialized.utf8)
        }
        let inner = bytes[(start + 1)...].firstIndex { !isSpace($0) }
        let isEmpty = inner.map { bytes[$0] == UInt8(ascii: "}") } ?? true
        bytes.replaceSubrange(start...start, with: [UInt8(ascii: "{")] + member + (isEmpty ? [] : Array(", ".utf8)))
        return bytes
    }

    /// One attempt to deliver an outbox message.
    /// - Parameter heartbeat: called while waiting after an ambiguous failure (the drain extends its lease there).
    /// - Parameter reservation: a slot from `reserveSlot`; used if it was granted, otherwise a slot is acquired.
    public func send(
        _ message: Outbox.Message, heartbeat: () -> Void = {}, reservation: SlotReservation? = nil
    ) -> Outbox.SendOutcome {
        let externalID = "outbox-\(message.id)"
        guard let body = Self.requestBody(payload: message.payload, externalID: externalID) else {
            return .rejected(error: "outbox payload is not a JSON object")
        }
        // Only a lookup needs the payload's fields.
        let clientID = { JSONValue.parse(message.payload)?.objectValue?["client_id"] }
        // A row another sender may have sent before it died (or before its outcome could be stored) is looked up
        // first: sending it again would show the customer the same reply twice. When the lookup fails there is no
        // evidence either way, and a reply twice is better than none.
        if !message.isFresh, case .delivered? = self.lookUp(clientID: clientID(), externalID: externalID) {
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
            body: body, connectTimeout: self.connectTimeout,
            totalTimeout: self.timeout)
        let response: HTTPResponse
        do {
            response = try self.http.perform(request)
        } catch {
            guard error.isAmbiguous else { return .failed(error: "\(error)", retryAfter: nil) }
            switch self.awaitDelivery(clientID: clientID(), externalID: externalID, heartbeat: heartbeat) {
            case .delivered?:
                return .delivered
            case .unknowable(let reason)?:
                self.logger.warning(
                    "chat2desk: a timed-out reply may have arrived; sending it again may duplicate it",
                    metadata: ["outbox.id": "\(message.id)", "reason": "\(reason)"])
                return .failed(error: "\(error); \(reason): sent again, possibly twice", retryAfter: nil)
            case .notListed?, nil:
                return .failed(error: "\(error)", retryAfter: nil)
            }
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
            guard status == "success" else { return .failed(error: "chat2desk status error: \(message)", retryAfter: nil) }
            // The id is kept with the outbox row: the `outbox` hook that echoes this message carries it.
            let id = envelope?["data"]?.objectValue?["message_id"].flatMap { value -> String? in
                if case .integer(let number) = value { return String(number) }
                return value.stringValue
            }
            return id.map { .deliveredAs(providerID: $0) } ?? .delivered
        }
        if response.status == 400 || response.status == 404 || response.status == 422 {
            return .rejected(error: "chat2desk \(response.status): \(message)")
        }
        return .failed(error: "chat2desk \(response.status): \(message.isEmpty ? "non-JSON answer" : message)", retryAfter: retryAfter)
    }

    /// What Chat2Desk's message list shows about a reply sent with our `external_id`.
    ///
    /// When it cannot show anything (`unknowable`), the reply is sent again, accepting a possible duplicate, rather
    /// than matched some other way. Matching the text (`to_client`, same words) would take an earlier copy for this
    /// one, since the bot sends the same question to a customer again and again (every re-prompt, every new order),
    /// and a reply wrongly taken as delivered is lost: the customer waits for a question that never comes. Narrowing
    /// it to a time window needs Chat2Desk's `created`, which SDKs see in more than one format and time zone, on a
    /// clock that is not ours. A duplicate is visible, harmless to the dialog, needs a timeout that reached
    /// Chat2Desk, and is logged.
    private enum Evidence {
        case delivered
        /// The list shows messages with `external_id`s and ours is not among them (yet).
        case notListed
        case unknowable(reason: String)
    }

    /// Chat2Desk's largest `limit`.
    private static let listPageSize = 200
    /// Pages one look reads: 1000 messages of one client.
    private static let listMaxPages = 5

    /// After an ambiguous failure: did the request we gave up on reach the client after all? A request that timed
    /// out may still be applied when Chat2Desk finishes it, so this looks again (backing off) for up to twice the
    /// timeout while the list says "not yet"; it stops at once when the lookup itself fails (nil: no evidence either
    /// way) or the list cannot tell.
    private func awaitDelivery(clientID: JSONValue?, externalID: String, heartbeat: () -> Void) -> Evidence? {
        let deadline = monotonicSeconds() + 2 * self.timeout
        var pause = 0.25
        while true {
            heartbeat()
            let evidence = self.lookUp(clientID: clientID, externalID: externalID)
            guard case .notListed? = evidence else { return evidence }
            let remaining = deadline - monotonicSeconds()
            if remaining <= 0 { return evidence }
            sleepSeconds(min(pause, remaining))
            pause = min(pause * 2, 2)
        }
    }

    /// Searches every item of every page of the client's messages for our `external_id`: the list's order is not
    /// documented, so the newest message may be on any page and anywhere in it. Nil when Chat2Desk could not be asked.
    private func lookUp(clientID: JSONValue?, externalID: String) -> Evidence? {
        guard let client = clientID?.serialized else { return nil }
        var offset = 0
        var listsExternalIDs = false
        for _ in 0..<Self.listMaxPages {
            let request = HTTPRequest(
                method: "GET", url: self.baseURL + "/v1/messages?client_id=\(client)&limit=\(Self.listPageSize)&offset=\(offset)",
                headers: [("Authorization", self.token)], connectTimeout: self.connectTimeout, totalTimeout: self.timeout)
            guard let response = try? self.http.perform(request), response.status == 200,
                let envelope = JSONValue.parse(response.text)?.objectValue, let items = envelope["data"]?.arrayValue
            else { return nil }
            for item in items {
                guard let value = item.objectValue?["external_id"] else { continue }
                listsExternalIDs = true
                if value.stringValue == externalID { return .delivered }
            }
            offset += items.count
            let total = envelope["meta"]?.objectValue?["total"]?.stringValue.flatMap { Int($0) }
            guard items.count == Self.listPageSize, total.map({ offset < $0 }) ?? true else {
                // An empty list says nothing about the field: our message is just not there (yet).
                return listsExternalIDs || offset == 0
                    ? .notListed : .unknowable(reason: "Chat2Desk lists the client's messages without external_id")
            }
        }
        return .unknowable(reason: "the client has more than \(Self.listPageSize * Self.listMaxPages) messages to search")
    }
}
