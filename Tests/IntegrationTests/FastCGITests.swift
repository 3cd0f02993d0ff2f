import Curl
import Foundation
import Glibc
import Platform
import TestSupport
import Testing

@Suite("FastCGI responders through the stack's nginx", .stack)
struct NginxRoutesTests {
    @Test func healthReportsDependenciesAndQueues() throws {
        let response = try TestStack.nginx("GET", "/health")
        #expect(response.status == 200, "body: \(response.text)")
        #expect(response.header("content-type") == "application/json")
        let json = try #require(TestStack.jsonObject(response.body), "not JSON: \(response.text)")
        #expect(json["status"] as? String == "ok")
        #expect(json["failed"] == nil)
        let redis = try #require(json["redis"] as? [String: Any])
        let postgres = try #require(json["postgres"] as? [String: Any])
        #expect(redis["ok"] as? Bool == true)
        #expect(postgres["ok"] as? Bool == true)
        #expect(redis["latency_ms"] is NSNumber)
        #expect(postgres["latency_ms"] is NSNumber)
        let queues = try #require(json["queues"] as? [String: Any])
        #expect((queues["shoro"] as? NSNumber)?.intValue ?? -1 >= 0)
        #expect((queues["shoro.dead"] as? NSNumber)?.intValue ?? -1 >= 0)
    }

    @Test func rootDescribesTheService() throws {
        let response = try TestStack.nginx("GET", "/")
        #expect(response.status == 200)
        #expect(response.header("content-type") == "application/json")
        let json = try #require(TestStack.jsonObject(response.body), "not JSON: \(response.text)")
        #expect(json["service"] as? String == "chatbots")
        #expect(json["version"] as? String == ChatbotsVersion.current)
        #expect(json["bots"] as? [String] == ["shoro", "academy"])
        let routes = json["routes"] as? [String] ?? []
        #expect(routes.contains("GET /health"))
        #expect(routes.contains("GET /"))
        #expect(routes.contains("POST /webhook/chat2desk"))
        #expect(routes.contains("POST /webhook/tilda"))
    }

    @Test func healthRefusesOtherMethodsWithAllow() throws {
        for method in ["POST", "PUT", "DELETE"] {
            let response = try TestStack.nginx(method, "/health", headers: [("Content-Type", "application/json")], body: Array("{}".utf8))
            #expect(response.status == 405, "\(method): \(response.text)")
            #expect(response.header("content-type") == "application/json")
            #expect(response.header("allow") == "GET, HEAD")
            #expect(TestStack.jsonObject(response.body)?["error"] as? String == "method_not_allowed")
        }
        let head = try TestStack.nginx("HEAD", "/health")
        #expect(head.status == 200)
        #expect(head.body.isEmpty)
    }

    @Test func aBodyOverTheLimitIs413InJSON() throws {
        let secret = try TestStack.webhookSecret()
        let body = [UInt8](repeating: UInt8(ascii: "a"), count: 300 * 1024)
        let response = try TestStack.nginx(
            "POST", "/webhook/chat2desk?token=\(secret)", headers: [("Content-Type", "application/json")], body: body)
        #expect(response.status == 413)
        #expect(response.header("content-type") == "application/json")
        let json = try #require(TestStack.jsonObject(response.body), "not JSON: \(response.text)")
        #expect(json["error"] as? String == "payload_too_large")
    }

    @Test(arguments: ["/nope", "/health/", "/healthz", "/webhook/chat2desk/a/b", "/webhook/telegram", "/index.php"])
    func unknownRoutesAre404InJSON(path: String) throws {
        let response = try TestStack.nginx("GET", path)
        #expect(response.status == 404)
        #expect(response.header("content-type") == "application/json")
        #expect(TestStack.jsonObject(response.body)?["error"] as? String == "not_found")
    }
}

/// Responders started by the tests themselves, on their own sockets, to check process behaviour.
@Suite("FastCGI responder processes", .stack)
struct FastCGIProcessTests {
    private static func waitForSocket(_ path: String, _ child: ChildProcess) throws {
        let ready = eventually(timeout: 3) {
            var info = stat()
            return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFSOCK || !child.isRunning
        }
        guard ready, child.isRunning else {
            child.kill9()
            throw StackError("the responder did not create \(path): \(child.stderrSoFar)")
        }
    }

    private static func fileExists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// spawn-fcgi hands the listening socket over on fd 0 (no `--socket`), as in production.
    @Test func servesFromFileDescriptorZeroAndStopsOnSIGTERM() throws {
        let socketPath = TestStack.temporarySocketPath("fd0")
        defer { unlink(socketPath) }
        let child = try ChildProcess(
            "/usr/bin/spawn-fcgi", ["-n", "-s", socketPath, "-M", "0666", "--", try TestStack.executable("fcgi-health")],
            environment: try TestStack.stackChildEnvironment())
        defer { child.kill9() }
        try Self.waitForSocket(socketPath, child)

        let client = try TestStack.run(
            "/usr/bin/cgi-fcgi", ["-bind", "-connect", socketPath],
            environment: TestStack.childEnvironment([
                "REQUEST_METHOD": "GET", "DOCUMENT_URI": "/health", "SCRIPT_NAME": "/health", "QUERY_STRING": "",
            ]), timeout: 5)
        #expect(client.status == 0, "cgi-fcgi: \(client.stderr)")
        #expect(client.stdout.contains("Status: 200"), "output: \(client.stdout)")
        #expect(client.stdout.contains(#""status":"ok""#), "output: \(client.stdout)")
        #expect(client.stdout.contains("Content-Type: application/json"))

        let stopping = now()
        child.signal(SIGTERM)
        #expect(child.waitForExit(timeout: 3), "still running 3 s after SIGTERM: \(child.diagnostics)")
        let result = try child.wait(timeout: 1)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(!result.exitedBySignal)
        #expect(now() - stopping < 3)
        #expect(result.stderr.contains("responder stopped"))
    }

    @Test func socketResponderSurvivesAbortedClientsAndCleansUpOnSIGTERM() throws {
        let socketPath = TestStack.temporarySocketPath("sock")
        defer { unlink(socketPath) }
        let child = try ChildProcess(
            try TestStack.executable("fcgi-health"), ["--socket", socketPath],
            environment: try TestStack.stackChildEnvironment(["FCGI_THREADS": "2", "FCGI_MAX_BODY_BYTES": "1024"]))
        defer { child.kill9() }
        try Self.waitForSocket(socketPath, child)

        var info = stat()
        #expect(stat(socketPath, &info) == 0 && info.st_mode & 0o777 == 0o666, "socket mode \(String(info.st_mode & 0o777, radix: 8))")

        let health = try FastCGIClient.request(socket: socketPath, params: FastCGIClient.params(method: "GET", path: "/health"))
        #expect(health.hasPrefix("Status: 200"), "answer: \(health)")
        #expect(health.contains(#""status":"ok""#))

        // Clients that send a request and hang up before the answer: writing the answer hits a closed
        // socket (EPIPE). SIGPIPE must not kill the responder.
        for _ in 0..<6 {
            let descriptor = try FastCGIClient.connect(socketPath)
            try FastCGIClient.writeAll(
                descriptor, FastCGIClient.encodeRequest(params: FastCGIClient.params(method: "GET", path: "/health")))
            close(descriptor)
        }
        // A client that hangs up in the middle of its request.
        let partial = try FastCGIClient.connect(socketPath)
        let request = FastCGIClient.encodeRequest(params: FastCGIClient.params(method: "GET", path: "/"))
        try FastCGIClient.writeAll(partial, Array(request.prefix(20)))
        close(partial)
        usleep(200_000)
        #expect(child.isRunning, "the responder died: \(child.stderrSoFar)")
        let afterwards = try FastCGIClient.request(socket: socketPath, params: FastCGIClient.params(method: "GET", path: "/"))
        #expect(afterwards.hasPrefix("Status: 200"), "answer: \(afterwards)")
        #expect(afterwards.contains(#""service":"chatbots""#))

        // A declared body over FCGI_MAX_BODY_BYTES is refused by the responder itself.
        let big = [UInt8](repeating: UInt8(ascii: "x"), count: 4096)
        let tooLarge = try FastCGIClient.request(
            socket: socketPath,
            params: FastCGIClient.params(method: "POST", path: "/health", contentType: "application/json", contentLength: big.count),
            body: big)
        #expect(tooLarge.hasPrefix("Status: 413"), "answer: \(tooLarge)")
        #expect(tooLarge.contains("payload_too_large"))

        child.signal(SIGTERM)
        #expect(child.waitForExit(timeout: 3), "still running 3 s after SIGTERM: \(child.diagnostics)")
        let result = try child.wait(timeout: 1)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(!Self.fileExists(socketPath), "the socket file was left behind")

        // Its log is one JSON object per line.
        let lines = result.stderr.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            let object = TestStack.jsonObject(Array(line.utf8))
            #expect(object != nil, "not a JSON object: \(line)")
            #expect(object?["logger"] as? String == "fcgi-health")
        }
        let messages = lines.compactMap { TestStack.jsonObject(Array($0.utf8))?["msg"] as? String }
        #expect(messages.first == "responder starting")
        #expect(messages.last == "responder stopped")
        let starting = lines.compactMap { TestStack.jsonObject(Array($0.utf8)) }.first
        #expect(starting?["fcgi.socket"] as? String == socketPath)
        #expect(starting?["fcgi.threads"] as? String == "2")
    }

    @Test func aResponderWithoutSocketOrListeningFD0ExitsWithAnError() throws {
        let result = try TestStack.run(
            try TestStack.executable("fcgi-health"), [], environment: try TestStack.stackChildEnvironment(), timeout: 5)
        #expect(result.status == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("fd 0 is not a listening socket"))
    }
}
