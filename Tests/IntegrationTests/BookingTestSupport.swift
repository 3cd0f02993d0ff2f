import AcademyTime
import BotCore
import Curl
import Foundation
import Glibc
import Logging
import Platform
import Redis
import TestSupport
import Testing

@testable import Academy
@testable import Clients

/// A fake Google and a fake Zoom started for one test (`fakes/google.py`, `fakes/zoom.py` on free ports).
///
/// Booking tests count calls and inject faults, and the stack's shared Google fake is reset by the Sheets suite
/// while other suites run, so each booking test gets fakes of its own. The Google fake trusts the stack's
/// throwaway service-account key (`GOOGLE_SERVICE_ACCOUNT_FILE`); Redis is the stack's.
final class BookingFakes {
    static let calendarID = "lessons@group.calendar.google.com"
    static let zoomAccount = "it-zoom-account"
    static let zoomClient = "it-zoom-client"
    static let zoomSecret = "it-zoom-secret-0123456789"
    static let silent = Logger(label: "it.booking") { _ in SwiftLogNoOpLogHandler() }

    let googleURL: String
    let zoomURL: String
    private let processes: [ChildProcess]
    private let directory: String

    init() throws {
        let root = try TestStack.root()
        let key = try TestStack.variable("GOOGLE_SERVICE_ACCOUNT_FILE")
        self.directory = try TestStack.temporaryDirectory("booking")
        var processes: [ChildProcess] = []
        var urls: [String] = []
        do {
            for (name, arguments) in [
                ("google", ["--service-account", key, "--calendar", Self.calendarID]),
                (
                    "zoom",
                    [
                        "--account-id", Self.zoomAccount, "--client-id", Self.zoomClient, "--client-secret",
                        Self.zoomSecret,
                    ]
                ),
            ] {
                let portFile = self.directory + "/\(name).port"
                let child = try ChildProcess(
                    "/usr/bin/env",
                    ["python3", root + "/fakes/\(name).py", "--port", "0", "--port-file", portFile] + arguments,
                    environment: TestStack.environment)
                processes.append(child)
                urls.append("http://127.0.0.1:\(try Self.waitForPort(portFile, child))")
            }
        } catch {
            for child in processes { child.signal(SIGTERM) }
            TestStack.removeDirectory(self.directory)
            throw error
        }
        self.processes = processes
        self.googleURL = urls[0]
        self.zoomURL = urls[1]
    }

    deinit {
        // The fakes keep nothing worth a clean exit, and a child of the test runner may inherit a blocked SIGTERM.
        for child in self.processes { child.signal(SIGTERM) }
        for child in self.processes where !child.waitForExit(timeout: 0.3) {
            child.signal(SIGKILL)
            child.waitForExit(timeout: 5)
        }
        TestStack.removeDirectory(self.directory)
    }

    static func waitForPort(_ path: String, _ child: ChildProcess) throws -> Int {
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: path, encoding: .utf8), let port = Int(text.trimmingSpaces) {
                return port
            }
            guard child.isRunning else { throw StackError("fake \(path) exited: \(child.result().stderr)") }
            usleep(20_000)
        }
        throw StackError("fake did not write \(path) within 15 s")
    }

    // MARK: Clients

    /// The Zoom settings of this fake.
    var zoomSettings: BookingSettings.Zoom {
        BookingSettings.Zoom(
            oauthURL: self.zoomURL, apiURL: self.zoomURL, accountID: Self.zoomAccount, clientID: Self.zoomClient,
            clientSecret: Self.zoomSecret)
    }

    static let fastZoom = ZoomRetryPolicy(delays: [0.01, 0.02, 0.04], jitter: 0)

    /// A Zoom client with fast retries and no token cache in Redis (its token requests are its own).
    func uncachedZoom(_ settings: BookingSettings.Zoom? = nil) -> ZoomClient {
        ZoomClient(
            settings: settings ?? self.zoomSettings, http: TestStack.httpClient(), redis: nil, logger: Self.silent,
            retry: Self.fastZoom, timeout: 2, connectTimeout: 1)
    }

    /// A Zoom client with a short timeout (2 s) and fast retries; `tokenPrefix` lets two clients share a token.
    func zoom(tokenPrefix: String, timeout: Double = 2) throws -> ZoomClient {
        ZoomClient(
            settings: self.zoomSettings, http: TestStack.httpClient(),
            redis: LazyRedis(try TestStack.redisConfiguration()),
            logger: Self.silent, retry: Self.fastZoom, timeout: timeout, connectTimeout: 1, cacheKeyPrefix: tokenPrefix)
    }

    func calendar() throws -> CalendarClient {
        let settings = try GoogleStack.settings([
            "GOOGLE_TOKEN_URL": self.googleURL + "/token", "GOOGLE_CALENDAR_API_URL": self.googleURL + "/calendar/v3",
            "GOOGLE_SHEETS_API_URL": self.googleURL, "GOOGLE_CALENDAR_ID": Self.calendarID,
        ])
        let auth = try GoogleStack.auth(settings, scopes: [GoogleAuth.calendarScope])
        return CalendarClient(
            auth: auth, baseURL: settings.calendarAPIURL, calendarID: Self.calendarID, policy: GoogleStack.fast)
    }

    /// 10:00-19:00 Moscow, Monday to Friday, 45-minute lessons every hour, one hour's notice.
    static let grid = SlotGrid(
        openingMinute: 600, closingMinute: 1140, weekdays: [0, 1, 2, 3, 4], lessonMinutes: 45, stepMinutes: 60,
        minimumNoticeSeconds: 3600)
    static let moscow = AcademyTimeZone.named("Europe/Moscow")!

    func booking(
        cacheSeconds: Int = 30, clock: Clock = .system, zoom: ZoomClient? = nil, prefix: String = TestStack.keyPrefix()
    ) throws -> LessonBooking {
        LessonBooking(
            calendar: try self.calendar(), zoom: try zoom ?? self.zoom(tokenPrefix: prefix + "zoom:"), grid: Self.grid,
            timeZone: Self.moscow, timeZoneIdentifier: "Europe/Moscow",
            texts: try AcademySetup.loadTexts(directory: try TestStack.root() + "/resources/texts"),
            redis: LazyRedis(try TestStack.redisConfiguration()),
            cacheSeconds: cacheSeconds, logger: Self.silent, clock: clock, cacheKeyPrefix: prefix + "slots:")
    }

    // MARK: Control APIs

    @discardableResult
    func control(_ base: String, _ method: String, _ path: String, json: String? = nil) throws -> Any {
        try TestStack.fakeControl(base, method, path, json: json)
    }

    func googleFault(_ json: String) throws { try self.control(self.googleURL, "POST", "/_fake/faults", json: json) }
    func zoomFault(_ json: String) throws { try self.control(self.zoomURL, "POST", "/_fake/faults", json: json) }

    /// Recorded calls of a fake with `method` whose path matches `pattern` (a regular expression).
    func calls(_ base: String, _ method: String, _ pattern: String) throws -> [[String: Any]] {
        let all = try #require(try self.control(base, "GET", "/_fake/calls") as? [[String: Any]])
        return all.filter {
            ($0["method"] as? String) == method
                && (($0["path"] as? String)?.range(of: pattern, options: .regularExpression) != nil)
        }
    }

    func freeBusyCalls() throws -> Int { try self.calls(self.googleURL, "POST", "^/calendar/v3/freeBusy$").count }
    func zoomTokenCalls() throws -> Int { try self.calls(self.zoomURL, "POST", "^/oauth/token$").count }

    /// Every meeting the Zoom fake ever created (deleted ones flagged).
    func meetings() throws -> [[String: Any]] {
        try #require(try self.control(self.zoomURL, "GET", "/_fake/meetings") as? [[String: Any]])
    }

    func liveMeetings() throws -> [[String: Any]] { try self.meetings().filter { ($0["deleted"] as? Bool) != true } }

    /// Every event of the calendar (cancelled ones included).
    func events() throws -> [[String: Any]] {
        let path =
            "/_fake/calendars/" + (Self.calendarID.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
            + "/events"
        let body = try self.control(self.googleURL, "GET", path)
        return try #require((body as? [[String: Any]]) ?? ((body as? [String: Any])?["items"] as? [[String: Any]]))
    }

    func liveEvents() throws -> [[String: Any]] {
        try self.events().filter { ($0["status"] as? String) != "cancelled" }
    }

    /// Replaces the calendar with an empty one holding `busy` blocks (RFC 3339 pairs).
    func setBusy(_ busy: [Range<Date>]) throws {
        let blocks = busy.map {
            "{\"start\": \"\(LessonBooking.rfc3339($0.lowerBound))\", \"end\": \"\(LessonBooking.rfc3339($0.upperBound))\"}"
        }
        try self.control(
            self.googleURL, "POST", "/_fake/calendars",
            json: """
                {"id": "\(Self.calendarID)", "busy": [\(blocks.joined(separator: ","))]}
                """)
    }
}

/// A clock tests move forward by hand.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var offset: Double = 0

    func advance(_ seconds: Double) {
        self.lock.lock()
        defer { self.lock.unlock() }
        self.offset += seconds
    }

    var clock: Clock {
        Clock { [self] in
            self.lock.lock()
            defer { self.lock.unlock() }
            return Clock.system.now() + self.offset
        }
    }
}

extension AcademyDialog.BookingRequest {
    static func parent(_ slot: Slot, tgID: Int64 = TestStack.randomID()) -> Self {
        Self(
            slot: slot, tgID: tgID, name: "Анна Петрова", email: "anna@example.com", phone: "+79991234567",
            language: .ru)
    }
}

/// One fake (`fakes/<name>.py`) of a single test's own, for tests that script it while other suites reset the shared one.
final class PrivateFake {
    let url: String
    private let child: ChildProcess
    private let directory: String

    init(_ name: String, _ arguments: [String]) throws {
        self.directory = try TestStack.temporaryDirectory(name)
        let portFile = self.directory + "/\(name).port"
        self.child = try ChildProcess(
            "/usr/bin/env", ["python3", try TestStack.root() + "/fakes/\(name).py", "--port", "0", "--port-file", portFile] + arguments,
            environment: TestStack.environment)
        self.url = "http://127.0.0.1:\(try BookingFakes.waitForPort(portFile, self.child))"
    }

    /// A control call to this fake (`/_fake/...`), returning the parsed JSON.
    @discardableResult
    func control(_ method: String, _ path: String, json: String? = nil) throws -> Any {
        try TestStack.fakeControl(self.url, method, path, json: json)
    }

    deinit {
        self.child.signal(SIGTERM)
        if !self.child.waitForExit(timeout: 0.3) {
            self.child.signal(SIGKILL)
            self.child.waitForExit(timeout: 5)
        }
        TestStack.removeDirectory(self.directory)
    }
}
