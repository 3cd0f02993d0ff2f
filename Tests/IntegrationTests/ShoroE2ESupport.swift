import Curl
import Foundation
import Glibc
import Messages
import Platform
import Postgres
import Redis
import TestSupport
import Testing

/// A Chat2Desk webhook body (defaults: an inbound client message on WhatsApp).
func e2eWebhookBody(
    clientID: Int64, messageID: Int64, text: String, hookType: String = "inbox", type: String = "from_client",
    transport: String = "whatsapp"
) -> String {
    "{\"hook_type\":\(JSONText.quote(hookType)),\"type\":\(JSONText.quote(type)),\"message_id\":\(messageID),"
        + "\"client_id\":\(clientID),\"text\":\(JSONText.quote(text)),\"transport\":\(JSONText.quote(transport))}"
}

/// `value` as an Int64 whether JSON gave a number or a numeric string.
func e2eInt(_ value: Any?) -> Int64? {
    if let number = value as? NSNumber { return number.int64Value }
    if let text = value as? String { return Int64(text) }
    return nil
}

/// A reply the fake Chat2Desk stored (`GET /_fake/messages`).
struct E2EDelivered: Sendable, Equatable {
    let clientID: Int64
    let text: String
    let externalID: String?
    let transport: String?
}

/// One row of `message_logs`.
struct E2ELog: Equatable {
    let messageID: String
    let success: Bool
    let state: String?
    let error: String?
}

/// One row of `outbox`.
struct E2EOutboxRow: Equatable {
    let id: Int64
    let status: String
    let attempts: Int
    let text: String
}

/// The Russian reply catalog, rendered the way the bot does (`{name}` placeholders).
struct E2ETexts {
    let catalog: [String: String]

    init(root: String) throws {
        let path = root + "/resources/texts/shoro.ru.json"
        guard let data = FileManager.default.contents(atPath: path),
            let catalog = try JSONSerialization.jsonObject(with: data) as? [String: String]
        else { throw StackError("cannot read the reply catalog \(path)") }
        self.catalog = catalog
    }

    func render(_ key: String, _ values: [String: String] = [:]) -> String {
        var text = self.catalog[key] ?? "<missing \(key)>"
        for (name, value) in values { text = text.replacingOccurrences(of: "{\(name)}", with: value) }
        return text
    }

    var greeting: String { self.render("greeting") }
    var askAddress: String { self.render("askAddress") }
    var askPhone: String { self.render("askPhone") }
    var askBottles: String { self.render("askBottles") }
    var askCorrection: String { self.render("askCorrection") }
    var orderAccepted: String { self.render("orderAccepted") }
    func summary(address: String, phone: String, bottles: Int) -> String {
        self.render("summary", ["address": address, "phone": phone, "bottles": String(bottles)])
    }

    static let address = "ул. Киевская 95, кв 3"
    static let phoneText = "0555 123 456"
    static let phoneNormalized = "+996555123456"
    static let phoneDisplay = "+996 555 123 456"

    /// The customer's full order in Russian with the replies each message must produce, in order.
    func fullOrder() -> [(text: String, replies: [String])] {
        [
            ("Здравствуйте", [self.greeting, self.askAddress]),
            (Self.address, [self.askPhone]),
            (Self.phoneText, [self.askBottles]),
            ("5", [self.summary(address: Self.address, phone: Self.phoneDisplay, bottles: 5)]),
            ("да", [self.orderAccepted]),
        ]
    }
}

/// Everything one test needs: connections, the catalog, the child processes it started.
final class E2EContext {
    let label: String
    let nginxURL: String
    let secret: String
    let fakeURL: String
    let token: String
    let stackDirectory: String
    let binDirectory: String
    let root: String
    let http: HTTPClient
    private(set) var db: PostgresConnection
    let redisConfiguration: RedisConfiguration
    let redis: RedisConnection
    let texts: E2ETexts
    static let queue = InboundQueue.shoro
    private(set) var processes: [ChildProcess] = []

    /// Fast retries and short timeouts so failures and recoveries happen within the test's budget.
    static let drainDefaults: [String: String] = [
        "SEND_RETRY_DELAYS": "0.1,0.2,0.4",
        "QUEUE_LEASE_SECONDS": "10",
        "QUEUE_BACKOFF_SECONDS": "0.1",
        "OUTBOX_BACKOFF_SECONDS": "0.2",
        "HTTP_TIMEOUT_SECONDS": "3",
        "HTTP_CONNECT_TIMEOUT_SECONDS": "1",
        // The suite sends ~1,000 replies; the production limit (300/min) would throttle it.
        "CHAT2DESK_RATE_LIMIT_PER_MINUTE": "100000",
        "LOG_LEVEL": "info",
    ]

    init(_ label: String) throws {
        self.label = label
        self.nginxURL = try TestStack.variable("STACK_NGINX_URL")
        self.secret = try TestStack.variable("CHAT2DESK_WEBHOOK_SECRET")
        self.fakeURL = try TestStack.variable("CHAT2DESK_API_URL")
        self.token = try TestStack.variable("CHAT2DESK_TOKEN")
        self.stackDirectory = try TestStack.variable("STACK_DIR")
        self.binDirectory = try TestStack.variable("STACK_BIN_DIR")
        self.root = try TestStack.variable("STACK_ROOT")
        let redisURL = try TestStack.variable("REDIS_URL")
        guard let redisConfiguration = RedisConfiguration(url: redisURL) else { throw StackError("REDIS_URL is invalid: \(redisURL)") }
        self.redisConfiguration = redisConfiguration
        self.redis = try RedisConnection(redisConfiguration)
        self.db = try PostgresConnection(conninfo: try TestStack.variable("DATABASE_URL"))
        self.http = TestStack.httpClient()
        self.texts = try E2ETexts(root: self.root)
        try self.fake("DELETE", "/_fake/faults")
    }

    /// A new connection for `db` (after a test restarted PostgreSQL under it).
    func reconnectDatabase() throws {
        self.db = try PostgresConnection(conninfo: try TestStack.variable("DATABASE_URL"))
    }

    // MARK: Processes

    /// Starts one of the stack's executables with the stack's environment plus `overrides` (stopped by `finish`).
    func start(_ product: String, _ arguments: [String], overrides: [String: String]) throws -> ChildProcess {
        let path = self.binDirectory + "/" + product
        guard FileManager.default.isExecutableFile(atPath: path) else { throw StackError("\(path) is not built") }
        var environment = [
            "PATH": TestStack.environment["PATH"] ?? "/usr/bin:/bin", "CHATBOTS_ENV_FILE": self.stackDirectory + "/stack.env",
        ]
        environment.merge(overrides) { _, new in new }
        let name = "\(product)-\(self.label)-\(self.processes.count)"
        let process = try ChildProcess(
            path, arguments, environment: environment, name: name,
            logPath: self.stackDirectory + "/log/e2e-\(name)-\(TestStack.randomID() % 100_000).log")
        self.processes.append(process)
        return process
    }

    /// Starts `cron-drain` (stopped with SIGTERM by `finish`, or when `seconds` pass).
    @discardableResult
    func startDrain(_ overrides: [String: String] = [:], seconds: Double = 40, concurrency: Int = 5) throws -> ChildProcess {
        try self.start(
            "cron-drain", ["--bot", "shoro", "--seconds", String(seconds), "--concurrency", String(concurrency)],
            overrides: Self.drainDefaults.merging(overrides) { _, new in new })
    }

    @discardableResult
    func startOutbox(_ overrides: [String: String] = [:], seconds: Double) throws -> ChildProcess {
        try self.start(
            "cron-outbox", ["--bot", "shoro", "--seconds", String(seconds)],
            overrides: Self.drainDefaults.merging(overrides) { _, new in new })
    }

    /// Runs `botctl` to completion.
    func botctl(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = try self.start("botctl", arguments, overrides: [:])
        guard process.waitForExit(timeout: 20) else {
            process.signal(SIGKILL)
            throw StackError("botctl \(arguments) did not exit: \(process.logTail())")
        }
        return (process.exitStatus ?? -1, process.output)
    }

    /// Runs `scripts/stack.sh <command> $STACK_DIR`.
    func stackScript(_ command: String) throws {
        var environment = TestStack.environment
        environment["REDIS_APPENDFSYNC"] = nil
        // Foundation's Process notices the exit through a descriptor the child inherits; a daemon started by the
        // script (redis-server --daemonize) would keep it open forever, so the wrapper closes every fd above 2.
        let closeInherited =
            #"for fd in /proc/self/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done; exec /bin/bash "$0" "$@""#
        let process = try ChildProcess(
            "/bin/bash", ["-c", closeInherited, self.root + "/scripts/stack.sh", command, self.stackDirectory], environment: environment,
            name: "stack-\(command)", logPath: self.stackDirectory + "/log/e2e-stack-\(command).log")
        guard process.waitForExit(timeout: 30) else {
            process.signal(SIGKILL)
            throw StackError("stack.sh \(command) did not finish")
        }
        guard process.exitStatus == 0 else { throw StackError("stack.sh \(command) failed: \(process.logTail())") }
    }

    /// SIGTERM, then waits for a clean exit (status 0); records an issue otherwise.
    func stop(_ process: ChildProcess, sourceLocation: SourceLocation = #_sourceLocation) {
        guard process.isRunning else { return }
        process.signal(SIGTERM)
        if !process.waitForExit(timeout: 10) {
            process.signal(SIGKILL)
            process.waitForExit(timeout: 5)
            Issue.record("\(process.name) did not stop within 10 s of SIGTERM\n\(process.logTail())", sourceLocation: sourceLocation)
            return
        }
        if process.exitStatus != 0 {
            Issue.record(
                "\(process.name) exited with \(process.exitStatus ?? -1) after SIGTERM\n\(process.logTail())",
                sourceLocation: sourceLocation)
        }
    }

    /// Stops every child still running (a cron job that crashed on its own shows up as an issue too).
    func finish() {
        for process in self.processes {
            if process.isRunning {
                self.stop(process)
            }
        }
    }

    /// Diagnostics for a failed wait: the ends of the children's logs.
    var processLogs: String {
        self.processes.map { "--- \($0.name) (\($0.isRunning ? "running" : "exit \($0.exitStatus ?? -1)")):\n\($0.logTail(15))" }
            .joined(separator: "\n")
    }

    /// Polls `condition` (every 20 ms) until it holds; throws after `timeout` seconds.
    func wait(_ what: String, timeout: Double = 15, _ condition: () throws -> Bool) throws {
        try waitUntil(what, timeout: timeout, diagnostics: { self.processLogs }, condition)
    }

    /// Polls `progress` until it reaches `target`; gives up (false) once it made no progress for `stall` seconds
    /// or after `cap` seconds, so the caller's detailed comparison reports what went wrong.
    func waitForProgress(target: Int, stall: Double = 5, cap: Double = 40, _ progress: () throws -> Int) throws -> Bool {
        let start = now()
        var last = -1
        var lastChange = start
        while true {
            let value = try progress()
            if value >= target { return true }
            if value != last { (last, lastChange) = (value, now()) }
            if now() - lastChange > stall || now() - start > cap { return false }
            usleep(50_000)
        }
    }

    // MARK: Webhooks

    func postWebhook(_ body: String, http: HTTPClient? = nil, timeout: Double = 5) throws -> HTTPResponse {
        try (http ?? self.http).perform(
            HTTPRequest(
                method: "POST", url: self.nginxURL + "/webhook/chat2desk?token=" + self.secret,
                headers: [("Content-Type", "application/json")], body: Array(body.utf8), connectTimeout: 2, totalTimeout: timeout))
    }

    /// Posts an inbound customer message and checks it was queued (200, `"queued":true`).
    @discardableResult
    func say(
        _ clientID: Int64, _ text: String, messageID: Int64 = TestStack.randomID(), sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> Int64 {
        let response = try self.postWebhook(e2eWebhookBody(clientID: clientID, messageID: messageID, text: text))
        #expect(response.status == 200, "webhook \(text): \(response.status) \(response.text)", sourceLocation: sourceLocation)
        #expect(response.text.contains("\"queued\":true"), "webhook \(text): \(response.text)", sourceLocation: sourceLocation)
        return messageID
    }

    /// Takes a new customer through the order up to the summary; returns the replies it got, in order.
    func orderUpToSummary(_ clientID: Int64) throws -> [String] {
        var expected: [String] = []
        for (text, replies) in self.texts.fullOrder().dropLast() {
            try self.say(clientID, text)
            expected += replies
        }
        try self.wait("the summary") { try self.delivered(clientID).count >= expected.count }
        return expected
    }

    // MARK: Fake Chat2Desk

    @discardableResult
    func fake(_ method: String, _ path: String, json: String? = nil) throws -> Any {
        let response = try self.http.perform(
            HTTPRequest(
                method: method, url: self.fakeURL + path, headers: json == nil ? [] : [("Content-Type", "application/json")],
                body: json.map { Array($0.utf8) }, connectTimeout: 2, totalTimeout: 10))
        guard response.status == 200 else { throw StackError("fake \(method) \(path): HTTP \(response.status) \(response.text)") }
        return try JSONSerialization.jsonObject(with: Data(response.body))
    }

    func addFault(_ json: String) throws { try self.fake("POST", "/_fake/faults", json: json) }

    /// A reply of the bot's to the client: internal notes to the team and operators' messages are not.
    private static func delivered(_ item: Any) -> E2EDelivered? {
        guard let object = item as? [String: Any], let client = e2eInt(object["client_id"]),
            object["type"] as? String == "to_client", e2eInt(object["operator_id"]) == nil
        else { return nil }
        return E2EDelivered(
            clientID: client, text: object["text"] as? String ?? "", externalID: object["external_id"] as? String,
            transport: object["transport"] as? String)
    }

    /// The replies the fake stored for a client, in delivery order.
    func delivered(_ clientID: Int64) throws -> [E2EDelivered] {
        ((try self.fake("GET", "/_fake/messages?client_id=\(clientID)") as? [Any]) ?? []).compactMap(Self.delivered)
    }

    func deliveredTexts(_ clientID: Int64) throws -> [String] { try self.delivered(clientID).map(\.text) }

    /// The internal notes (`type` comment) the fake stored in a client's dialog, in delivery order.
    func notes(_ clientID: Int64) throws -> [String] {
        ((try self.fake("GET", "/_fake/messages?client_id=\(clientID)") as? [[String: Any]]) ?? [])
            .filter { $0["type"] as? String == "comment" }.map { $0["text"] as? String ?? "" }
    }

    /// Every stored reply, grouped by client, each group in delivery order.
    func deliveredByClient() throws -> [Int64: [E2EDelivered]] {
        Dictionary(grouping: ((try self.fake("GET", "/_fake/messages") as? [Any]) ?? []).compactMap(Self.delivered), by: \.clientID)
    }

    /// Recorded `/v1/messages` calls (`method` POST or GET) that concern `clientID`, oldest first.
    func calls(_ clientID: Int64, method: String = "POST") throws -> [[String: Any]] {
        let all = (try self.fake("GET", "/_fake/calls?path=/v1/messages&method=\(method)") as? [[String: Any]]) ?? []
        return all.filter { call in
            if method == "GET" { return (call["query"] as? [String: Any])?["client_id"] as? String == String(clientID) }
            return e2eInt((call["json"] as? [String: Any])?["client_id"]) == clientID
        }
    }

    // MARK: PostgreSQL

    func messageLogs(_ clientID: Int64) throws -> [E2ELog] {
        try self.db.query(
            "SELECT message_id, success, dialog_state, error_reason FROM message_logs WHERE source = 'chat2desk' AND client_id = $1 ORDER BY id",
            [String(clientID)]
        ).map {
            E2ELog(messageID: $0["message_id"] ?? "", success: $0["success"] == "t", state: $0["dialog_state"], error: $0["error_reason"])
        }
    }

    func outbox(_ clientID: Int64) throws -> [E2EOutboxRow] {
        try self.db.query(
            """
            SELECT id, status, attempts, payload->>'text' AS text FROM outbox
            WHERE channel = 'chat2desk' AND conversation = $1 AND payload->>'type' = 'to_client' ORDER BY id
            """,
            [String(clientID)]
        ).map {
            E2EOutboxRow(
                id: Int64($0["id"] ?? "") ?? -1, status: $0["status"] ?? "", attempts: Int($0["attempts"] ?? "") ?? -1,
                text: $0["text"] ?? "")
        }
    }

    func orders(_ clientID: Int64) throws -> [PostgresRow] {
        try self.db.query(
            "SELECT client_phone, delivery_address, bottles_count, source, status, idempotency_key FROM orders WHERE chat2desk_client_id = $1 ORDER BY id",
            [String(clientID)])
    }

    func outcomes(_ clientID: Int64) throws -> [PostgresRow] {
        try self.db.query(
            "SELECT outcome, completed, total_messages, dropoff_state FROM dialog_outcomes WHERE client_id = $1 ORDER BY id",
            [String(clientID)])
    }

    // MARK: Redis queue

    /// Messages still queued (or in flight) for a conversation.
    func queued(_ conversation: String) throws -> [String] {
        (try self.redis.command(["LRANGE", "q:{shoro}:c:" + conversation, "0", "-1"]).array ?? []).compactMap(\.string)
    }

    /// Whether the conversation is scheduled or leased in the queue at all.
    func isScheduled(_ conversation: String) throws -> Bool {
        !(try self.redis.command(["ZSCORE", "q:{shoro}:sched", conversation]).isNull)
    }
}
