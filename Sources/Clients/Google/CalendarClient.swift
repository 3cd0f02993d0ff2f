import Crypto
import Curl
import Logging
public import Messages
import Platform

/// Google Calendar API v3 for one calendar: free/busy, list, insert with a client-chosen id, patch, delete.
///
/// Every call is safe to repeat, so each is retried on transport failures, 408, 429, 5xx and 403 rate-limit
/// reasons (`rateLimitExceeded`, `userRateLimitExceeded`, `quotaExceeded`); other 4xx are final.
/// * insert carries our own event id, so a retry after a lost answer gets 409 — the event exists: success;
/// * delete answered 404/410 means the event is already gone (e.g. the first delete's answer was lost): success;
/// * freeBusy reports per-calendar problems inside a 200 (`calendars.<id>.errors`): those throw.
public struct CalendarClient {
    /// A busy interval, RFC 3339 as Google returns it.
    public struct Busy: Sendable, Equatable {
        public var start: String
        public var end: String
    }

    /// The fields of an event the bots use; `resource` is the whole event as returned.
    public struct Event: Sendable, Equatable {
        public var id: String
        public var status: String?
        public var summary: String?
        /// `start.dateTime` (or `start.date` for all-day events).
        public var start: String?
        public var end: String?
        public var htmlLink: String?
        public var resource: JSONValue

        init(_ resource: JSONValue, fallbackID: String = "") {
            let object = resource.objectValue ?? [:]
            func time(_ key: String) -> String? {
                let value = object[key]?.objectValue
                return value?["dateTime"]?.stringValue ?? value?["date"]?.stringValue
            }
            self.id = object["id"]?.stringValue ?? fallbackID
            self.status = object["status"]?.stringValue
            self.summary = object["summary"]?.stringValue
            self.start = time("start")
            self.end = time("end")
            self.htmlLink = object["htmlLink"]?.stringValue
            self.resource = resource
        }
    }

    /// How an insert ended: both mean the event with that id exists now.
    public enum InsertOutcome: Sendable, Equatable {
        case created(Event)
        /// 409: an earlier attempt (whose answer was lost) already created it.
        case alreadyExisted(Event)

        public var event: Event {
            switch self {
            case .created(let event), .alreadyExisted(let event): event
            }
        }
    }

    /// How a delete ended: both mean the event is gone.
    public enum DeleteOutcome: Sendable, Equatable {
        case deleted
        /// 404/410: already deleted (an earlier attempt's answer was lost, or someone removed it).
        case alreadyGone
    }

    static let rateLimitReasons: Set<String> = ["rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"]

    private let auth: GoogleAuth
    private let baseURL: String
    public let calendarID: String
    private let policy: GoogleRetryPolicy

    public init(auth: GoogleAuth, baseURL: String, calendarID: String, policy: GoogleRetryPolicy = .calendar) {
        self.auth = auth
        self.baseURL = baseURL
        self.calendarID = calendarID
        self.policy = policy
    }

    /// Whether Calendar accepts `id` as a client-supplied event id: 5–1024 characters of base32hex (`a-v`, `0-9`).
    public static func isValidEventID(_ id: String) -> Bool {
        (5...1024).contains(id.utf8.count)
            && id.utf8.allSatisfy {
                (UInt8(ascii: "a")...UInt8(ascii: "v")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
            }
    }

    /// A deterministic event id for a business key (e.g. `trial/42/2026-02-01T10:00`): base32hex of its SHA-256,
    /// 52 characters. The same booking always maps to the same id, which is what makes a retried insert safe.
    public static func eventID(for key: String) -> String {
        let alphabet = Array("0123456789abcdefghijklmnopqrstuv")
        var id = ""
        var buffer = 0
        var bits = 0
        for byte in SHA256.hash(data: Array(key.utf8)) {
            buffer = (buffer << 8) | Int(byte)
            bits += 8
            while bits >= 5 {
                id.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
        }
        if bits > 0 { id.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return id
    }

    private var eventsURL: String {
        self.baseURL + "/calendars/" + GoogleAuth.percentEncoded(self.calendarID) + "/events"
    }

    private func send(_ method: String, _ url: String, json: String? = nil) throws -> HTTPResponse {
        try self.auth.call(method, url, json: json, policy: self.policy) { status, error in
            status == 408 || status == 429 || (500...599).contains(status)
                || (status == 403 && error.reasons.contains { Self.rateLimitReasons.contains($0) })
        }
    }

    private func json(_ response: HTTPResponse, _ what: String) throws -> JSONValue {
        guard let body = JSONValue.parse(response.text) else {
            throw GoogleError(code: .invalidResponse, status: response.status, message: "\(what): the answer is not JSON")
        }
        return body
    }

    /// `freebusy.query` for this calendar between two RFC 3339 instants.
    public func freeBusy(timeMin: String, timeMax: String, timeZone: String? = nil) throws -> [Busy] {
        let query = FreeBusyRequest(timeMin: timeMin, timeMax: timeMax, timeZone: timeZone, items: [.init(id: self.calendarID)])
        let response = try self.send("POST", self.baseURL + "/freeBusy", json: JSONText.encode(query))
        guard response.status == 200 else { throw rejection(response, "freeBusy") }
        let body = try self.json(response, "freeBusy")
        guard let calendar = body.objectValue?["calendars"]?.objectValue?[self.calendarID]?.objectValue else {
            throw GoogleError(code: .invalidResponse, status: 200, message: "freeBusy: the calendar is missing from the answer")
        }
        if let error = calendar["errors"]?.arrayValue?.first?.objectValue {
            throw GoogleError(
                code: .calendarError, status: 200, reason: error["reason"]?.stringValue,
                message: "freeBusy: \(error["domain"]?.stringValue ?? "calendar") error for the calendar")
        }
        return (calendar["busy"]?.arrayValue ?? []).compactMap { interval in
            guard let object = interval.objectValue, let start = object["start"]?.stringValue,
                let end = object["end"]?.stringValue
            else { return nil }
            return Busy(start: start, end: end)
        }
    }

    /// `events.list` between two instants, recurring events expanded, ordered by start; follows `nextPageToken`.
    public func events(timeMin: String, timeMax: String, pageSize: Int = 250) throws -> [Event] {
        var events: [Event] = []
        var pageToken: String?
        repeat {
            var url =
                self.eventsURL + "?singleEvents=true&orderBy=startTime&maxResults=\(pageSize)"
                + "&timeMin=" + GoogleAuth.percentEncoded(timeMin) + "&timeMax=" + GoogleAuth.percentEncoded(timeMax)
            if let pageToken { url += "&pageToken=" + GoogleAuth.percentEncoded(pageToken) }
            let response = try self.send("GET", url)
            guard response.status == 200 else { throw rejection(response, "events.list") }
            let body = try self.json(response, "events.list").objectValue ?? [:]
            events += (body["items"]?.arrayValue ?? []).map { Event($0) }
            pageToken = body["nextPageToken"]?.stringValue
        } while pageToken != nil
        return events
    }

    /// `events.insert` with our own `id` (see `eventID(for:)`); `event` holds `summary`, `start`, `end`, ...
    public func insert(id: String, event: JSONValue) throws -> InsertOutcome {
        guard Self.isValidEventID(id) else {
            throw GoogleError(code: .rejected, reason: "invalidEventId", message: "event ids are 5-1024 characters of a-v and 0-9")
        }
        var resource = event.objectValue ?? [:]
        resource["id"] = .string(id)
        // The event stays a tree: callers build it, and a restore patches it field by field.
        let response = try self.send("POST", self.eventsURL + "?sendUpdates=none", json: JSONValue.object(resource).serialized)
        switch response.status {
        case 200, 201:
            return .created(Event(try self.json(response, "events.insert"), fallbackID: id))
        case 409:
            self.auth.logger.info("calendar insert: the event already exists", metadata: ["calendar.event": "\(id)"])
            return .alreadyExisted(try self.event(id: id) ?? Event(.object(["id": .string(id)])))
        default:
            throw rejection(response, "events.insert")
        }
    }

    /// `events.get`; nil when there is no such event.
    public func event(id: String) throws -> Event? {
        let response = try self.send("GET", self.eventsURL + "/" + GoogleAuth.percentEncoded(id))
        if response.status == 404 || response.status == 410 { return nil }
        guard response.status == 200 else { throw rejection(response, "events.get") }
        return Event(try self.json(response, "events.get"), fallbackID: id)
    }

    /// `events.patch`: only the given fields change.
    public func patch(id: String, changes: JSONValue) throws -> Event {
        let response = try self.send(
            "PATCH", self.eventsURL + "/" + GoogleAuth.percentEncoded(id) + "?sendUpdates=none", json: changes.serialized)
        guard response.status == 200 else { throw rejection(response, "events.patch") }
        return Event(try self.json(response, "events.patch"), fallbackID: id)
    }

    /// `events.delete`.
    @discardableResult
    public func delete(id: String) throws -> DeleteOutcome {
        let response = try self.send("DELETE", self.eventsURL + "/" + GoogleAuth.percentEncoded(id) + "?sendUpdates=none")
        switch response.status {
        case 200, 204: return .deleted
        case 404, 410: return .alreadyGone
        default: throw rejection(response, "events.delete")
        }
    }
}

extension CalendarClient {
    /// The body of `freebusy.query` for the calendars in `items`.
    struct FreeBusyRequest: Encodable {
        struct Item: Encodable { var id: String }
        var timeMin: String
        var timeMax: String
        var timeZone: String?
        var items: [Item]
    }
}
