public import Curl
public import FoundationEssentials
public import Logging
import Messages
public import Platform

/// Zoom meetings for one host through a Server-to-Server OAuth app: create (never twice), find by marker, delete.
///
/// Tokens (`POST /oauth/token?grant_type=account_credentials`, Basic auth, no refresh token) are cached in Redis,
/// shared by every process, and in memory, each for `expires_in` less a margin; an API answer 401 with Zoom code
/// 124 (invalid or expired token) gets one fresh token and one more try.
///
/// Create is not idempotent at Zoom, so every meeting carries a caller-chosen marker line in its `agenda` (which
/// the list endpoint returns). After an answer that may have been lost (timeout or connection lost after sending)
/// and before retrying a 5xx, the host's upcoming meetings are listed and a meeting with the marker is adopted
/// instead of creating a second one. 429 waits for `Retry-After` (else backs off); the daily limit is final.
///
/// Owns no thread-safety: one instance per worker thread, like the `HTTPClient` it uses.
public final class ZoomClient {
    /// A meeting as Zoom returns it (create, get or list).
    public struct Meeting: Sendable, Equatable {
        /// The numeric meeting id (above 2^32).
        public var id: Int64
        public var joinURL: String
        /// UTC, `yyyy-MM-ddTHH:mm:ssZ`.
        public var startTime: String?
        public var topic: String?
        public var agenda: String?
    }

    /// What to create: a scheduled meeting (type 2).
    public struct NewMeeting: Sendable, Equatable {
        public var topic: String
        public var start: Date
        public var durationMinutes: Int
        /// IANA zone shown to participants, e.g. `Europe/Moscow`.
        public var timeZone: String
        /// Free text; the marker line is appended to it.
        public var agenda: String

        public init(topic: String, start: Date, durationMinutes: Int, timeZone: String, agenda: String = "") {
            self.topic = topic
            self.start = start
            self.durationMinutes = durationMinutes
            self.timeZone = timeZone
            self.agenda = agenda
        }
    }

    /// How a create ended: both mean exactly one meeting with the marker exists now.
    public enum CreateOutcome: Sendable, Equatable {
        case created(Meeting)
        /// An earlier attempt (whose answer was lost, or an earlier run) had created it: adopted, not duplicated.
        case adopted(Meeting)

        public var meeting: Meeting {
            switch self {
            case .created(let meeting), .adopted(let meeting): meeting
            }
        }
    }

    /// How a delete ended: both mean the meeting is gone.
    public enum DeleteOutcome: Sendable, Equatable {
        case deleted
        /// 404: already deleted (an earlier attempt's answer was lost, or someone removed it).
        case alreadyGone
    }

    let settings: BookingSettings.Zoom
    let http: HTTPClient
    let clock: Clock
    let logger: Logger
    let retry: ZoomRetryPolicy
    let timeout: Double
    let connectTimeout: Double
    /// The shared token (one per OAuth URL, account and client).
    let tokens: SharedTokenCache
    /// Its Redis key.
    public var cacheKey: String { self.tokens.key }
    /// Token requests sent by this instance (every attempt), for logs and tests.
    public internal(set) var tokenRequests = 0

    /// - Parameters:
    ///   - redis: the shared token cache; nil keeps tokens in memory only. A Redis failure never fails a call.
    ///   - cacheKeyPrefix: tests use their own prefix so they do not share tokens with each other.
    public init(
        settings: BookingSettings.Zoom, http: HTTPClient, redis: LazyRedis?, logger: Logger, clock: Clock = .system,
        retry: ZoomRetryPolicy = .interactive, timeout: Double = 10, connectTimeout: Double = 5,
        cacheKeyPrefix: String = "zoom:token:"
    ) {
        self.settings = settings
        self.http = http
        self.clock = clock
        self.logger = logger
        self.retry = retry
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.tokens = SharedTokenCache(
            key: SharedTokenCache.key(prefix: cacheKeyPrefix, identity: [settings.oauthURL, settings.accountID, settings.clientID]),
            redis: redis, clock: clock, logger: logger)
    }

    // MARK: Meetings

    /// Creates the meeting unless one carrying `marker` already exists (see the type's documentation).
    /// - Parameters:
    ///   - marker: one line, unique per logical meeting (e.g. the booking's idempotency key).
    ///   - checkFirst: list before the first attempt too (the caller may be repeating an earlier run).
    public func createMeeting(_ meeting: NewMeeting, marker: String, checkFirst: Bool = false) throws -> CreateOutcome {
        let body = CreateMeetingRequest(
            topic: String(meeting.topic.prefix(200)), startTime: Self.utcTime(meeting.start), duration: meeting.durationMinutes,
            timezone: meeting.timeZone, agenda: meeting.agenda.isEmpty ? marker : meeting.agenda + "\n" + marker)
        let request = self.request("POST", self.userURL + "/meetings", body: JSONText.encode(body))
        var mayExist = checkFirst
        var attempt = 0
        var last: ZoomError
        while true {
            if mayExist, let found = try self.existingMeeting(marker: marker) {
                self.logger.info(
                    "zoom: adopted the meeting with this marker", metadata: ["zoom.meeting": "\(found.id)"])
                return .adopted(found)
            }
            mayExist = false
            var retryAfter: String?
            do {
                let response = try self.perform(request)
                switch response.status {
                case 200, 201:
                    let created = try Self.meeting(JSONValue.parse(response.text))
                    self.logger.info("zoom: meeting created", metadata: ["zoom.meeting": "\(created.id)"])
                    return .created(created)
                case 429:
                    last = Self.error(response, "create meeting")
                    if last.code == .dailyLimit { throw last }
                    retryAfter = response.header("retry-after")
                case 500...599:
                    last = Self.error(response, "create meeting")
                    mayExist = true  // a 5xx does not prove that nothing was created
                default:
                    throw Self.error(response, "create meeting")
                }
            } catch let error as CurlError {
                mayExist = mayExist || error.isAmbiguous
                last = ZoomError(code: .unavailable, message: "\(error)", ambiguous: error.isAmbiguous)
            }
            guard attempt < self.retry.delays.count, let wait = self.retry.delay(after: attempt, retryAfter: retryAfter)
            else {
                break
            }
            self.logger.warning(
                "zoom: create meeting failed; retrying",
                metadata: [
                    "error": "\(last)", "retry.in": "\(wait)", "retry.attempt": "\(attempt + 1)",
                ])
            TransferHeartbeat.sleep(seconds: wait)  // beats: a wait inside a drain step keeps its lease
            attempt += 1
        }
        if mayExist, let found = try self.existingMeeting(marker: marker) {
            self.logger.info(
                "zoom: adopted the meeting an unanswered create made", metadata: ["zoom.meeting": "\(found.id)"])
            return .adopted(found)
        }
        throw ZoomError(
            code: last.code, status: last.status, zoomCode: last.zoomCode, message: last.message, ambiguous: false)
    }

    /// `findMeeting` after a create that may have been applied: a failure to look is itself ambiguous.
    private func existingMeeting(marker: String) throws -> Meeting? {
        do {
            return try self.findMeeting(marker: marker)
        } catch let error as ZoomError {
            throw ZoomError(
                code: error.code, status: error.status, zoomCode: error.zoomCode,
                message: "a create may have been applied; the check failed: \(error.message)", ambiguous: true)
        }
    }

    /// The host's upcoming meeting whose agenda has `marker` as a line, if any (follows `next_page_token`).
    public func findMeeting(marker: String) throws -> Meeting? {
        var pageToken = ""
        repeat {
            var url = self.userURL + "/meetings?type=upcoming&page_size=300"
            if !pageToken.isEmpty { url += "&next_page_token=" + GoogleAuth.percentEncoded(pageToken) }
            let response = try self.send(self.request("GET", url), "list meetings")
            guard response.status == 200 else { throw Self.error(response, "list meetings") }
            guard let body = JSONValue.parse(response.text)?.objectValue else {
                throw ZoomError(
                    code: .invalidResponse, status: 200, message: "list meetings: the answer is not a JSON object")
            }
            for item in body["meetings"]?.arrayValue ?? [] {
                let agenda = item.objectValue?["agenda"]?.stringValue ?? ""
                if agenda.split(whereSeparator: \.isNewline).contains(where: { $0.trimmingSpaces == marker }) {
                    return try Self.meeting(item)
                }
            }
            pageToken = body["next_page_token"]?.stringValue ?? ""
        } while !pageToken.isEmpty
        return nil
    }

    /// Deletes a meeting; 404 (already gone) counts as success, so this is safe to repeat.
    @discardableResult
    public func deleteMeeting(id: Int64) throws -> DeleteOutcome {
        let response = try self.send(
            self.request("DELETE", self.settings.apiURL + "/v2/meetings/\(id)"), "delete meeting")
        switch response.status {
        case 200, 204:
            self.logger.info("zoom: meeting deleted", metadata: ["zoom.meeting": "\(id)"])
            return .deleted
        case 404: return .alreadyGone
        default: throw Self.error(response, "delete meeting")
        }
    }

    private var userURL: String {
        self.settings.apiURL + "/v2/users/" + GoogleAuth.percentEncoded(self.settings.userID)
    }

    private func request(_ method: String, _ url: String, body: String? = nil) -> HTTPRequest {
        .jsonAPI(method, url, json: body, connectTimeout: self.connectTimeout, totalTimeout: self.timeout)
    }

    /// `POST /users/{userId}/meetings`: a scheduled meeting (type 2), participants wait in the waiting room.
    struct CreateMeetingRequest: Encodable {
        struct Settings: Encodable {
            var joinBeforeHost = false
            var waitingRoom = true
            enum CodingKeys: String, CodingKey { case joinBeforeHost = "join_before_host", waitingRoom = "waiting_room" }
        }

        var topic: String
        var type = 2
        var startTime: String
        var duration: Int
        var timezone: String
        var agenda: String
        var settings = Settings()

        enum CodingKeys: String, CodingKey {
            case topic, type, startTime = "start_time", duration, timezone, agenda, settings
        }
    }

    /// A call that is safe to repeat (list, get, delete): retried on transport failures, 429 and 5xx.
    private func send(_ request: HTTPRequest, _ what: String) throws -> HTTPResponse {
        var attempt = 0
        while true {
            let failure: ZoomError
            var retryAfter: String?
            do {
                let response = try self.perform(request)
                guard response.status == 429 || (500...599).contains(response.status) else { return response }
                failure = Self.error(response, what)
                retryAfter = response.header("retry-after")
            } catch let error as CurlError {
                failure = ZoomError(code: .unavailable, message: "\(what): \(error)")
            }
            if failure.code == .dailyLimit { throw failure }
            guard attempt < self.retry.delays.count, let wait = self.retry.delay(after: attempt, retryAfter: retryAfter)
            else {
                throw failure
            }
            self.logger.warning(
                "zoom: call failed; retrying",
                metadata: [
                    "zoom.call": "\(what)", "error": "\(failure)", "retry.in": "\(wait)",
                    "retry.attempt": "\(attempt + 1)",
                ])
            TransferHeartbeat.sleep(seconds: wait)  // beats: a wait inside a drain step keeps its lease
            attempt += 1
        }
    }

    /// Sends `request` with the bearer token; a 401 with code 124 gets one fresh token and one more try.
    func perform(_ request: HTTPRequest) throws -> HTTPResponse {
        var token = try self.accessToken()
        let response = try self.http.perform(request.authorised(bearer: token))
        guard response.status == 401, Self.zoomCode(response) == 124 else { return response }
        self.logger.info("zoom: token refused (code 124); refreshing it once")
        // Drops the token here and in Redis (unless another process already replaced it there, whose newer token
        // is then used instead of minting one more).
        self.invalidate(token)
        token = try self.accessToken()
        return try self.http.perform(request.authorised(bearer: token))
    }

    static func meeting(_ json: JSONValue?) throws -> Meeting {
        guard let object = json?.objectValue, let id = object["id"]?.stringValue.flatMap({ Int64($0) }),
            let joinURL = object["join_url"]?.stringValue, !joinURL.isEmpty
        else { throw ZoomError(code: .invalidResponse, message: "a meeting without id or join_url") }
        return Meeting(
            id: id, joinURL: joinURL, startTime: object["start_time"]?.stringValue, topic: object["topic"]?.stringValue,
            agenda: object["agenda"]?.stringValue)
    }

    /// `2026-02-01T07:00:00Z`.
    package static func utcTime(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: .gmt))
    }

    private static func zoomCode(_ response: HTTPResponse) -> Int? {
        JSONValue.parse(response.text)?.objectValue?["code"]?.stringValue.flatMap { Int($0) }
    }

    /// A refused answer as a `ZoomError`: 429 with the daily-limit message is `.dailyLimit`.
    static func error(_ response: HTTPResponse, _ what: String) -> ZoomError {
        let object = JSONValue.parse(response.text)?.objectValue
        let message = object?["message"]?.stringValue ?? String(response.text.prefix(200))
        let code: ZoomError.Code
        switch response.status {
        case 429: code = message.lowercased().contains("daily") ? .dailyLimit : .unavailable
        case 408, 500...599: code = .unavailable
        default: code = .rejected
        }
        return ZoomError(
            code: code, status: response.status, zoomCode: object?["code"]?.stringValue.flatMap { Int($0) },
            message: "\(what): \(message)")
    }
}
