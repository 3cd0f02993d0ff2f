import CFastCGI
import Glibc
import Synchronization

/// Where and how the responder listens.
public struct FastCGIServerConfiguration: Sendable {
    /// A unix socket path to create; `nil` means use the listening socket handed over on fd 0
    /// (spawn-fcgi, systemd `StandardInput=socket`).
    public var socketPath: String?
    /// Permissions for a socket we create (nginx workers must be able to connect).
    public var socketMode: UInt32
    public var backlog: Int32
    /// Accept threads; each has its own request struct and its own connections.
    public var threads: Int
    /// Bodies larger than this are answered with 413 without being read.
    public var maxBodyBytes: Int
    /// Seconds to let in-flight requests finish after SIGTERM.
    public var shutdownGraceSeconds: Double

    public init(
        socketPath: String?, socketMode: UInt32 = 0o666, backlog: Int32 = 1024, threads: Int = 8,
        maxBodyBytes: Int = 1 << 20, shutdownGraceSeconds: Double = 10
    ) {
        self.socketPath = socketPath
        self.socketMode = socketMode
        self.backlog = backlog
        self.threads = threads
        self.maxBodyBytes = maxBodyBytes
        self.shutdownGraceSeconds = shutdownGraceSeconds
    }
}

/// A failure to start listening.
public struct FastCGIError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { "FastCGIError: \(self.message)" }
}

/// A request handler owned by one accept thread (so it may hold that thread's connections).
public typealias FastCGIHandler = (FastCGIRequest) -> FastCGIResponse

/// Runs a multi-threaded FastCGI responder until SIGTERM, SIGINT or SIGHUP.
///
/// Each thread calls `makeHandler` once (to open its own connections) and then loops on
/// `FCGX_Accept_r`. On a stop signal no new request is accepted, requests in flight finish,
/// and the function returns. SIGPIPE is ignored.
/// - Parameter makeHandler: builds the handler on the worker thread; only its Sendable inputs cross threads.
public func runFastCGIServer(
    _ configuration: FastCGIServerConfiguration,
    makeHandler: @escaping @Sendable (_ threadIndex: Int) -> FastCGIHandler
) throws(FastCGIError) {
    guard cfastcgi_install_signal_handlers() == 0 else { throw FastCGIError(message: "sigaction failed") }
    // The signal mask is inherited from whoever started us (posix_spawn keeps the parent thread's mask, and
    // threaded parents often block most signals): a blocked SIGUSR1 would never wake the workers on shutdown.
    var wake = sigset_t()
    sigemptyset(&wake)
    sigaddset(&wake, SIGUSR1)
    guard pthread_sigmask(SIG_UNBLOCK, &wake, nil) == 0 else { throw FastCGIError(message: "pthread_sigmask failed") }
    guard FCGX_Init() == 0 else { throw FastCGIError(message: "FCGX_Init failed") }
    let listenDescriptor = try openListener(configuration)
    // Stop signals are taken synchronously by this thread (sigtimedwait); workers inherit the mask.
    _ = cfastcgi_block_stop_signals()

    let state = ServerState(threads: configuration.threads)
    var threads: [pthread_t] = []
    for index in 0..<max(1, configuration.threads) {
        let worker = Worker(
            index: index, listenDescriptor: listenDescriptor, configuration: configuration,
            state: state, makeHandler: makeHandler)
        threads.append(startThread(worker.run))
    }

    while cfastcgi_wait_stop_signal(500) == 0 {
        if state.running.load(ordering: .acquiring) == 0 { break }
    }
    state.stopping.store(true, ordering: .releasing)
    FCGX_ShutdownPending()
    // A thread blocked in accept() is woken by SIGUSR1 (EINTR); resend until every worker is out,
    // because a signal that lands between the flag check and accept() is otherwise lost.
    let deadline = monotonicSeconds() + configuration.shutdownGraceSeconds
    while state.running.load(ordering: .acquiring) > 0 && monotonicSeconds() < deadline {
        for thread in threads { _ = cfastcgi_wake_thread(thread) }
        usleep(20_000)
    }
    if state.running.load(ordering: .acquiring) == 0 {
        for thread in threads { pthread_join(thread, nil) }
    }
    if let path = configuration.socketPath { unlink(path) }
}

private final class ServerState: Sendable {
    let running: Atomic<Int>
    let stopping = Atomic<Bool>(false)
    init(threads: Int) { self.running = Atomic(max(1, threads)) }
}

private struct Worker: Sendable {
    let index: Int
    let listenDescriptor: Int32
    let configuration: FastCGIServerConfiguration
    let state: ServerState
    let makeHandler: @Sendable (Int) -> FastCGIHandler

    func run() {
        defer { self.state.running.subtract(1, ordering: .releasing) }
        let handler = self.makeHandler(self.index)
        // libfcgi keeps the FCGX_Request pointer inside its streams, so the struct needs a stable address.
        let request = UnsafeMutablePointer<FCGX_Request>.allocate(capacity: 1)
        request.initialize(to: FCGX_Request())
        defer { request.deallocate() }
        guard FCGX_InitRequest(request, self.listenDescriptor, Int32(FCGI_FAIL_ACCEPT_ON_INTR)) == 0 else { return }
        while !self.state.stopping.load(ordering: .acquiring) {
            guard FCGX_Accept_r(request) >= 0 else {
                if self.state.stopping.load(ordering: .acquiring) { break }
                usleep(10_000)  // a transient accept failure: don't spin
                continue
            }
            let response =
                readRequest(request, maxBodyBytes: self.configuration.maxBodyBytes).map(handler)
                ?? .json(413, #"{"error":"payload_too_large","message":"request body exceeds the limit"}"#)
            writeResponse(response, to: request)
            FCGX_Finish_r(request)
        }
        FCGX_Free(request, 1)
    }
}

private func openListener(_ configuration: FastCGIServerConfiguration) throws(FastCGIError) -> Int32 {
    guard let path = configuration.socketPath else {
        var accepting: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(0, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &length) == 0, accepting == 1 else {
            throw FastCGIError(message: "no socket path configured and fd 0 is not a listening socket")
        }
        return 0
    }
    let descriptor = FCGX_OpenSocket(path, configuration.backlog)
    guard descriptor >= 0 else { throw FastCGIError(message: "cannot listen on \(path)") }
    guard chmod(path, configuration.socketMode) == 0 else { throw FastCGIError(message: "cannot chmod \(path)") }
    return descriptor
}

private let httpPrefix = Array("HTTP_".utf8)
private let wantedParams = [
    "REQUEST_METHOD", "DOCUMENT_URI", "SCRIPT_NAME", "QUERY_STRING", "CONTENT_TYPE", "CONTENT_LENGTH", "REQUEST_ID",
    "REMOTE_ADDR",
]

/// `X_WEBHOOK_SECRET` → `x-webhook-secret`.
private func headerName(_ raw: UnsafeBufferPointer<UInt8>) -> String {
    String(unsafeUninitializedCapacity: raw.count) { buffer in
        for (index, byte) in raw.enumerated() {
            buffer[index] =
                switch byte {
                case UInt8(ascii: "_"): UInt8(ascii: "-")
                case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte + 32
                default: byte
                }
        }
        return raw.count
    }
}

/// Reads params and body; nil when the declared body is over the limit (it is then not read).
private func readRequest(_ request: UnsafeMutablePointer<FCGX_Request>, maxBodyBytes: Int) -> FastCGIRequest? {
    var params: [String: String] = [:]
    var headers: [String: String] = [:]
    if var cursor = cfastcgi_envp(request) {
        // Works on the raw bytes and converts only what a handler can see: the HTTP_* headers and the
        // few CGI params below (nginx sends about twenty; String-splitting them all was a visible cost).
        while let entry = cursor.pointee {
            let pair = UnsafeRawBufferPointer(start: entry, count: strlen(entry)).bindMemory(to: UInt8.self)
            if let equals = pair.firstIndex(of: UInt8(ascii: "=")) {
                let name = UnsafeBufferPointer(rebasing: pair[..<equals])
                let value = UnsafeBufferPointer(rebasing: pair[(equals + 1)...])
                if name.starts(with: httpPrefix) {
                    headers[headerName(UnsafeBufferPointer(rebasing: name[httpPrefix.count...]))] =
                        String(decoding: value, as: UTF8.self)
                } else if let known = wantedParams.first(where: { name.elementsEqual($0.utf8) }) {
                    params[known] = String(decoding: value, as: UTF8.self)
                }
            }
            cursor += 1
        }
    }
    // nginx sends CONTENT_LENGTH as "" when there is no body.
    let length = Int(params["CONTENT_LENGTH"] ?? "") ?? 0
    if length > maxBodyBytes { return nil }
    var body = [UInt8](repeating: 0, count: length)
    var received = 0
    if length > 0 {
        body.withUnsafeMutableBufferPointer { buffer in
            let base = UnsafeMutableRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            while received < length {
                let count = FCGX_GetStr(base + received, Int32(length - received), cfastcgi_in(request))
                if count <= 0 { break }
                received += Int(count)
            }
        }
        body.removeSubrange(received...)
    }
    return FastCGIRequest(
        method: params["REQUEST_METHOD"] ?? "GET",
        path: params["DOCUMENT_URI"] ?? params["SCRIPT_NAME"] ?? "/",
        query: params["QUERY_STRING"] ?? "",
        headers: headers,
        contentType: params["CONTENT_TYPE"] ?? "",
        body: body,
        requestID: params["REQUEST_ID"] ?? headers["x-request-id"] ?? "",
        remoteAddress: params["REMOTE_ADDR"] ?? "")
}

private func writeResponse(_ response: FastCGIResponse, to request: UnsafeMutablePointer<FCGX_Request>) {
    let bytes = response.serialized()
    bytes.withUnsafeBufferPointer { buffer in
        let base = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
        _ = FCGX_PutStr(base, Int32(buffer.count), cfastcgi_out(request))
    }
}

/// Starts a detached-joinable pthread running `body` (Foundation's Thread is avoided to keep the responder small).
private func startThread(_ body: @escaping @Sendable () -> Void) -> pthread_t {
    final class Box: Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    var thread = pthread_t()
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    let status = pthread_create(
        &thread, nil,
        { argument in
            let box = Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue()
            box.body()
            return nil
        }, box)
    precondition(status == 0, "pthread_create failed: \(status)")
    return thread
}

private func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
