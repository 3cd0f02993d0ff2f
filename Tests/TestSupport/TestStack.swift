public import Curl
public import Foundation
import Glibc
import Platform
public import Postgres
public import Redis

/// The local stack started by `scripts/stack.sh` (through `make test` / `scripts/run-tests.sh`), as seen
/// from the test process: every address comes from the environment that script exports.
///
/// With `CHATBOTS_REQUIRE_INTEGRATION=1` a missing variable fails the test with a message naming it;
/// without it (a bare `swift test`) the suites are disabled by the `.stack` trait instead.
public enum TestStack {
    public static let environment = ProcessInfo.processInfo.environment

    /// `make test` sets this: integration tests must run and fail without the stack, never skip.
    public static let isRequired = environment["CHATBOTS_REQUIRE_INTEGRATION"] == "1"

    /// Whether the integration suites run at all.
    public static let isEnabled = isRequired || environment["STACK_DIR"] != nil

    /// Every variable the suites read.
    public static let requiredVariables = [
        "DATABASE_URL", "REDIS_URL", "STACK_NGINX_URL", "STACK_DIR", "STACK_BIN_DIR", "STACK_ROOT", "STACK_PG_PORT",
        "STACK_REDIS_PORT", "CHAT2DESK_API_URL", "CHAT2DESK_TOKEN", "CHAT2DESK_WEBHOOK_SECRET",
    ]

    /// A variable of the stack environment, or a thrown error naming it.
    public static func variable(_ name: String) throws -> String {
        guard let value = environment[name], !value.isEmpty else {
            throw StackError(
                "environment variable \(name) is not set: run the integration tests with `make test` "
                    + "(scripts/run-tests.sh starts the local stack and exports var/test/stack.env)")
        }
        return value
    }

    public static func databaseURL() throws -> String { try variable("DATABASE_URL") }
    public static func nginxURL() throws -> String { try variable("STACK_NGINX_URL") }
    public static func chat2deskURL() throws -> String { try variable("CHAT2DESK_API_URL") }
    public static func webhookSecret() throws -> String { try variable("CHAT2DESK_WEBHOOK_SECRET") }
    public static func stackDirectory() throws -> String { try variable("STACK_DIR") }
    public static func binDirectory() throws -> String { try variable("STACK_BIN_DIR") }
    public static func root() throws -> String { try variable("STACK_ROOT") }
    /// `$STACK_DIR/stack.env`: what the stack's own processes read through `CHATBOTS_ENV_FILE`.
    public static func envFile() throws -> String { try stackDirectory() + "/stack.env" }

    // MARK: Redis

    public static func redisConfiguration() throws -> RedisConfiguration {
        let url = try variable("REDIS_URL")
        guard let configuration = RedisConfiguration(url: url) else { throw StackError("REDIS_URL is not a redis:// URL: \(url)") }
        return configuration
    }

    /// A new connection to the stack's Redis.
    public static func redis(commandTimeout: Double = 2) throws -> RedisConnection {
        var configuration = try redisConfiguration()
        configuration.commandTimeout = commandTimeout
        return try RedisConnection(configuration)
    }

    // MARK: PostgreSQL

    /// A new connection to the stack's main database.
    public static func postgres() throws -> PostgresConnection {
        try PostgresConnection(conninfo: databaseURL())
    }

    /// Runs `body` with the URL of a database created for it (`t_<random>`), dropped afterwards.
    public static func withFreshDatabase<T>(_ body: (String) throws -> T) throws -> T {
        let name = "t_" + randomHex(12)
        let admin = try postgres()
        try admin.query("CREATE DATABASE \(name)")
        defer { _ = try? admin.query("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
        return try body(replacingDatabase(in: try databaseURL(), with: name))
    }

    /// The same server address with another database name (URL or `key=value` conninfo).
    public static func replacingDatabase(in conninfo: String, with name: String) -> String {
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
    public static func fakeControl(_ base: String, _ method: String, _ path: String, json: String? = nil) throws -> Any {
        let response = try httpClient().perform(
            HTTPRequest(
                method: method, url: base + path,
                headers: json == nil ? [] : [("Content-Type", "application/json")], body: json.map { Array($0.utf8) },
                connectTimeout: 2, totalTimeout: 5))
        guard response.status == 200 else { throw StackError("fake control \(method) \(path): HTTP \(response.status) \(response.text)") }
        return try JSONSerialization.jsonObject(with: Data(response.body), options: [.fragmentsAllowed])
    }

    // MARK: Keys and ports

    /// Random lowercase hex, for unique keys, ids and names.
    public static func randomHex(_ count: Int = 16) -> String {
        var text = ""
        while text.count < count { text += String(UInt64.random(in: 0...UInt64.max), radix: 16) }
        return String(text.prefix(count))
    }

    /// A Redis key prefix no other test uses: `it:<test>:<random>:`.
    public static func keyPrefix(_ test: String = #function) -> String {
        let name = test.prefix { $0 != "(" }
        return "it:\(name):\(randomHex(12)):"
    }

    /// A random positive number usable as a Chat2Desk id (fits in 63 bits, never collides in practice).
    public static func randomID() -> Int64 { Int64.random(in: 1_000_000_000_000...9_000_000_000_000_000) }

    /// A loopback TCP port that was free a moment ago (bound to port 0, then closed).
    public static func freePort() throws -> Int {
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
    public static func temporaryDirectory(_ label: String = "it") throws -> String {
        let path = NSTemporaryDirectory() + "chatbots-\(label)-\(randomHex(10))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    public static func removeDirectory(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

    /// A short unix socket path (sun_path is limited to 108 bytes, so not under a deep STACK_DIR).
    public static func temporarySocketPath(_ label: String) -> String { "/tmp/chatbots-\(label)-\(randomHex(10)).sock" }

    // MARK: HTTP

    private static let curlReady: Void = HTTPClient.globalInit()

    /// A new libcurl client (libcurl's global init runs once, before the first).
    public static func httpClient() -> HTTPClient {
        _ = curlReady
        return HTTPClient()
    }

    /// One request to the stack's nginx, e.g. `nginx("GET", "/health")`.
    public static func nginx(
        _ method: String, _ path: String, headers: [(name: String, value: String)] = [], body: [UInt8]? = nil,
        totalTimeout: Double = 5
    ) throws -> HTTPResponse {
        try httpClient().perform(
            HTTPRequest(
                method: method, url: try nginxURL() + path, headers: headers, body: body, connectTimeout: 2,
                totalTimeout: totalTimeout))
    }

    /// A JSON body parsed into a dictionary (nil when it is not a JSON object).
    public static func jsonObject(_ bytes: [UInt8]) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
    }

    /// A call to the fake Chat2Desk's control API (`/_fake/...`), returning the parsed JSON.
    @discardableResult
    public static func fakeControl(_ method: String, _ path: String, json: String? = nil) throws -> Any {
        try fakeControl(try chat2deskURL(), method, path, json: json)
    }

    // MARK: Processes

    /// The path of a built product, e.g. `executable("botctl")`.
    public static func executable(_ name: String) throws -> String {
        let path = try binDirectory() + "/" + name
        guard FileManager.default.isExecutableFile(atPath: path) else { throw StackError("\(path) is not built") }
        return path
    }

    /// An environment for a child process: only `PATH` plus what is given (never the test's own stack variables).
    public static func childEnvironment(_ extra: [String: String] = [:]) -> [String: String] {
        var result = ["PATH": environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"]
        result.merge(extra) { _, new in new }
        return result
    }

    /// The stack's configuration file for a child, plus overrides (the process environment wins over the file).
    public static func stackChildEnvironment(_ overrides: [String: String] = [:]) throws -> [String: String] {
        childEnvironment(["CHATBOTS_ENV_FILE": try envFile()].merging(overrides) { _, new in new })
    }

    /// Runs a program to completion (killed after `timeout` seconds) and returns its exit status and output.
    public static func run(
        _ path: String, _ arguments: [String] = [], environment: [String: String], timeout: Double = 10
    ) throws -> ProcessResult {
        let child = try ChildProcess(path, arguments, environment: environment)
        return try child.wait(timeout: timeout)
    }
}
