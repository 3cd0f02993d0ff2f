import Curl
import Foundation
import Glibc
import Postgres
import Redis
import Testing

/// The local stack started by `scripts/stack.sh` (through `make test` / `scripts/run-tests.sh`), as seen
/// from the test process: every address comes from the environment that script exports.
///
/// With `CHATBOTS_REQUIRE_INTEGRATION=1` a missing variable fails the test with a message naming it;
/// without it (a bare `swift test`) the suites are disabled by the `.stack` trait instead.
enum TestStack {
    static let environment = ProcessInfo.processInfo.environment

    /// `make test` sets this: integration tests must run and fail without the stack, never skip.
    static let isRequired = environment["CHATBOTS_REQUIRE_INTEGRATION"] == "1"

    /// Whether the integration suites run at all.
    static let isEnabled = isRequired || environment["STACK_DIR"] != nil

    /// Every variable the suites read.
    static let requiredVariables = [
        "DATABASE_URL", "REDIS_URL", "STACK_NGINX_URL", "STACK_DIR", "STACK_BIN_DIR", "STACK_ROOT", "STACK_PG_PORT",
        "STACK_REDIS_PORT", "CHAT2DESK_API_URL", "CHAT2DESK_TOKEN", "CHAT2DESK_WEBHOOK_SECRET",
    ]

    /// A variable of the stack environment, or a thrown error naming it.
    static func variable(_ name: String) throws -> String {
        guard let value = environment[name], !value.isEmpty else {
            throw StackError(
                "environment variable \(name) is not set: run the integration tests with `make test` "
                    + "(scripts/run-tests.sh starts the local stack and exports var/test/stack.env)")
        }
        return value
    }

    static func databaseURL() throws -> String { try variable("DATABASE_URL") }
    static func nginxURL() throws -> String { try variable("STACK_NGINX_URL") }
    static func chat2deskURL() throws -> String { try variable("CHAT2DESK_API_URL") }
    static func webhookSecret() throws -> String { try variable("CHAT2DESK_WEBHOOK_SECRET") }
    static func stackDirectory() throws -> String { try variable("STACK_DIR") }
    static func binDirectory() throws -> String { try variable("STACK_BIN_DIR") }
    static func root() throws -> String { try variable("STACK_ROOT") }
    /// `$STACK_DIR/stack.env`: what the stack's own processes read through `CHATBOTS_ENV_FILE`.
    static func envFile() throws -> String { try stackDirectory() + "/stack.env" }

    // MARK: Redis

    static func redisConfiguration() throws -> RedisConfiguration {
        let url = try variable("REDIS_URL")
        guard let configuration = RedisConfiguration(url: url) else { throw StackError("REDIS_URL is not a redis:// URL: \(url)") }
        return configuration
    }

    /// A new connection to the stack's Redis.
    static func redis(commandTimeout: Double = 2) throws -> RedisConnection {
        var configuration = try redisConfiguration()
        configuration.commandTimeout = commandTimeout
        return try RedisConnection(configuration)
    }

    // MARK: PostgreSQL

    /// A new connection to the stack's main database.
    static func postgres() throws -> PostgresConnection {
        try PostgresConnection(conninfo: databaseURL())
    }

    /// Runs `body` with the URL of a database created for it (`t_<random>`), dropped afterwards.
    static func withFreshDatabase<T>(_ body: (String) throws -> T) throws -> T {
        let name = "t_" + randomHex(12)
        let admin = try postgres()
        try admin.query("CREATE DATABASE \(name)")
        defer { _ = try? admin.query("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
        return try body(replacingDatabase(in: try databaseURL(), with: name))
    }

    /// The same server address with another database name (URL or `key=value` conninfo).
    static func replacingDatabase(in conninfo: String, with name: String) -> String {
        guard let scheme = conninfo.range(of: "://") else { return conninfo + " dbname=\(name)" }
        let afterScheme = conninfo[scheme.upperBound...]
        let query = afterScheme.firstIndex(of: "?").map { String(afterScheme[$0...]) } ?? ""
        let withoutQuery = afterScheme.prefix { $0 != "?" }
        let authority = withoutQuery.prefix { $0 != "/" }
        return String(conninfo[..<scheme.upperBound]) + authority + "/" + name + query
    }

    // MARK: Fakes

    /// A control call to a fake (`/_fake/...` at `base`), returning the parsed JSON; throws on any status but 200.
    @discardableResult
    static func fakeControl(_ base: String, _ method: String, _ path: String, json: String? = nil) throws -> Any {
        let response = try httpClient().perform(HTTPRequest(
            method: method, url: base + path,
            headers: json == nil ? [] : [("Content-Type", "application/json")], body: json.map { Array($0.utf8) },
            connectTimeout: 2, totalTimeout: 5))
        guard response.status == 200 else { throw StackError("fake control \(method) \(path): HTTP \(response.status) \(response.text)") }
        return try JSONSerialization.jsonObject(with: Data(response.body), options: [.fragmentsAllowed])
    }

    // MARK: Keys and ports

    /// Random lowercase hex, for unique keys, ids and names.
    static func randomHex(_ count: Int = 16) -> String {
        var text = ""
        while text.count < count { text += String(UInt64.random(in: 0...UInt64.max), radix: 16) }
        return String(text.prefix(count))
    }

    /// A Redis key prefix no other test uses: `it:<test>:<random>:`.
    static func keyPrefix(_ test: String = #function) -> String {
        let name = test.prefix { $0 != "(" }
        return "it:\(name):\(randomHex(12)):"
    }

    /// A random positive number usable as a Chat2Desk id (fits in 63 bits, never collides in practice).
    static func randomID() -> Int64 { Int64.random(in: 1_000_000_000_000...9_000_000_000_000_000) }

    /// A loopback TCP port that was free a moment ago (bound to port 0, then closed).
    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw StackError("socket() failed: errno \(errno)") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw StackError("bind() failed: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else { throw StackError("getsockname() failed: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// A fresh temporary directory (removed by the caller with `removeDirectory`).
    static func temporaryDirectory(_ label: String = "it") throws -> String {
        let path = NSTemporaryDirectory() + "chatbots-\(label)-\(randomHex(10))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func removeDirectory(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

    /// A short unix socket path (sun_path is limited to 108 bytes, so not under a deep STACK_DIR).
    static func temporarySocketPath(_ label: String) -> String { "/tmp/chatbots-\(label)-\(randomHex(10)).sock" }

    // MARK: HTTP

    private static let curlReady: Void = HTTPClient.globalInit()

    /// A new libcurl client (libcurl's global init runs once, before the first).
    static func httpClient() -> HTTPClient {
        _ = curlReady
        return HTTPClient()
    }

    /// One request to the stack's nginx, e.g. `nginx("GET", "/health")`.
    static func nginx(
        _ method: String, _ path: String, headers: [(name: String, value: String)] = [], body: [UInt8]? = nil,
        totalTimeout: Double = 5
    ) throws -> HTTPResponse {
        try httpClient().perform(HTTPRequest(
            method: method, url: try nginxURL() + path, headers: headers, body: body, connectTimeout: 2,
            totalTimeout: totalTimeout))
    }

    /// A JSON body parsed into a dictionary (nil when it is not a JSON object).
    static func jsonObject(_ bytes: [UInt8]) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
    }

    /// A call to the fake Chat2Desk's control API (`/_fake/...`), returning the parsed JSON.
    @discardableResult
    static func fakeControl(_ method: String, _ path: String, json: String? = nil) throws -> Any {
        let response = try httpClient().perform(HTTPRequest(
            method: method, url: try chat2deskURL() + path,
            headers: json == nil ? [] : [("Content-Type", "application/json")], body: json.map { Array($0.utf8) },
            connectTimeout: 2, totalTimeout: 5))
        guard response.status == 200 else { throw StackError("fake control \(method) \(path): HTTP \(response.status) \(response.text)") }
        return try JSONSerialization.jsonObject(with: Data(response.body))
    }

    // MARK: Processes

    /// The path of a built product, e.g. `executable("botctl")`.
    static func executable(_ name: String) throws -> String {
        let path = try binDirectory() + "/" + name
        guard FileManager.default.isExecutableFile(atPath: path) else { throw StackError("\(path) is not built") }
        return path
    }

    /// An environment for a child process: only `PATH` plus what is given (never the test's own stack variables).
    static func childEnvironment(_ extra: [String: String] = [:]) -> [String: String] {
        var result = ["PATH": environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"]
        result.merge(extra) { _, new in new }
        return result
    }

    /// The stack's configuration file for a child, plus overrides (the process environment wins over the file).
    static func stackChildEnvironment(_ overrides: [String: String] = [:]) throws -> [String: String] {
        childEnvironment(["CHATBOTS_ENV_FILE": try envFile()].merging(overrides) { _, new in new })
    }

    /// Runs a program to completion (killed after `timeout` seconds) and returns its exit status and output.
    static func run(
        _ path: String, _ arguments: [String] = [], environment: [String: String], timeout: Double = 10
    ) throws -> ProcessResult {
        let child = try ChildProcess(path, arguments, environment: environment)
        return try child.wait(timeout: timeout)
    }
}

/// A setup problem: shown as the failure reason.
struct StackError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Trait where Self == ConditionTrait {
    /// Runs the suite when the stack is there or required (`make test`); disabled on a bare `swift test`.
    static var stack: Self {
        .enabled(if: TestStack.isEnabled, "the local stack is not running: use `make test` (CHATBOTS_REQUIRE_INTEGRATION=1)")
    }
}

/// How a finished child process ended.
struct ProcessResult: Sendable {
    /// The exit status, or 128 + signal when it was killed by a signal.
    let status: Int32
    let exitedBySignal: Bool
    let stdout: String
    let stderr: String
}

/// A child process with captured stdout and stderr (Foundation `Process`), signalled by its own PID only.
final class ChildProcess: @unchecked Sendable {
    let process = Process()
    private let stdoutReader: PipeReader
    private let stderrReader: PipeReader

    init(_ path: String, _ arguments: [String], environment: [String: String], standardInput: Any? = nil) throws {
        self.process.executableURL = URL(fileURLWithPath: path)
        self.process.arguments = arguments
        self.process.environment = environment
        let stdout = Pipe()
        let stderr = Pipe()
        self.process.standardOutput = stdout
        self.process.standardError = stderr
        self.process.standardInput = standardInput ?? FileHandle.nullDevice
        try self.process.run()
        self.stdoutReader = PipeReader(stdout.fileHandleForReading)
        self.stderrReader = PipeReader(stderr.fileHandleForReading)
    }

    var pid: Int32 { self.process.processIdentifier }
    var isRunning: Bool { self.process.isRunning }

    /// Sends `signal` to this child (and only to it).
    func signal(_ signal: Int32) {
        if self.process.isRunning { kill(self.process.processIdentifier, signal) }
    }

    /// Waits up to `timeout` seconds; true when it exited.
    @discardableResult
    func waitForExit(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while self.process.isRunning && Date() < deadline { usleep(5_000) }
        return !self.process.isRunning
    }

    /// Waits for the exit (SIGKILL after `timeout`, then an error) and collects the output.
    func wait(timeout: Double) throws -> ProcessResult {
        guard self.waitForExit(timeout: timeout) else {
            self.signal(SIGKILL)
            self.waitForExit(timeout: 5)
            throw StackError("\(self.process.executableURL?.path ?? "?") did not exit within \(timeout)s; "
                + "stderr: \(self.stderrReader.text(waitingUpTo: 1))")
        }
        return self.result()
    }

    /// The result of an exited process.
    func result() -> ProcessResult {
        self.process.waitUntilExit()
        let bySignal = self.process.terminationReason == .uncaughtSignal
        return ProcessResult(
            status: bySignal ? 128 + self.process.terminationStatus : self.process.terminationStatus,
            exitedBySignal: bySignal, stdout: self.stdoutReader.text(waitingUpTo: 5),
            stderr: self.stderrReader.text(waitingUpTo: 5))
    }

    /// Signal masks and thread states from /proc, for a failure message about a process that did not stop.
    var diagnostics: String {
        let pid = self.process.processIdentifier
        var text = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8))?
            .split(separator: "\n").filter { $0.hasPrefix("Sig") || $0.hasPrefix("ShdPnd") || $0.hasPrefix("Threads") }
            .joined(separator: " ") ?? "no /proc entry"
        if let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") {
            for task in tasks.sorted() {
                let wchan = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/wchan", encoding: .utf8)) ?? "?"
                let status = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/status", encoding: .utf8))?
                    .split(separator: "\n").filter { $0.hasPrefix("SigBlk") || $0.hasPrefix("SigPnd") }.joined(separator: " ") ?? ""
                text += "; task \(task) wchan=\(wchan) \(status)"
            }
        }
        return text + "; stderr: " + self.stderrSoFar
    }

    /// The stderr read so far (the process may still be running).
    var stderrSoFar: String { self.stderrReader.snapshot() }

    /// Kills the child if it is still running (cleanup after a failed test).
    func kill9() {
        self.signal(SIGKILL)
        self.waitForExit(timeout: 5)
    }
}

/// Drains a pipe on its own thread, so a chatty child never blocks on a full pipe.
final class PipeReader: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private var finished = false

    init(_ handle: FileHandle) {
        let thread = Thread { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                self.lock.lock()
                self.data.append(chunk)
                self.lock.unlock()
            }
            self.lock.lock()
            self.finished = true
            self.lock.unlock()
        }
        thread.start()
    }

    func snapshot() -> String {
        self.lock.lock()
        defer { self.lock.unlock() }
        return String(decoding: self.data, as: UTF8.self)
    }

    /// Everything, once the writer closed the pipe (or what came within `seconds`).
    func text(waitingUpTo seconds: Double) -> String {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            self.lock.lock()
            let done = self.finished
            self.lock.unlock()
            if done { break }
            usleep(2_000)
        }
        return self.snapshot()
    }
}

/// Polls `condition` every few milliseconds for up to `timeout` seconds.
func eventually(timeout: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    repeat {
        if try condition() { return true }
        usleep(10_000)
    } while Date() < deadline
    return try condition()
}

/// Monotonic seconds for measuring durations in tests.
func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}
