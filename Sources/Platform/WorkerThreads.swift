import Glibc
import Synchronization

/// A stop flag set by SIGTERM/SIGINT and read by worker threads between messages.
public final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public var isSet: Bool { self.flag.load(ordering: .acquiring) }
    public func set() { self.flag.store(true, ordering: .releasing) }
}

/// Runs `count` worker threads until they return, while the calling thread waits for SIGTERM/SIGINT/SIGHUP
/// (which set `stop`, so each worker finishes its current message and returns). SIGPIPE is ignored.
/// - Parameter body: the worker's loop; receives its index and must return once `stop.isSet`.
public func runWorkerThreads(count: Int, stop: StopFlag, body: @escaping @Sendable (Int) -> Void) {
    signal(SIGPIPE, SIG_IGN)
    var stopSignals = sigset_t()
    sigemptyset(&stopSignals)
    for signal in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&stopSignals, signal) }
    // Blocked here and inherited by the workers: only this thread takes them, synchronously.
    pthread_sigmask(SIG_BLOCK, &stopSignals, nil)
    let running = Running(count)
    var threads: [pthread_t] = []
    for index in 0..<count {
        threads.append(
            startThread {
                body(index)
                running.value.subtract(1, ordering: .releasing)
            })
    }
    var timeout = timespec(tv_sec: 0, tv_nsec: 200_000_000)
    while running.value.load(ordering: .acquiring) > 0 {
        if sigtimedwait(&stopSignals, nil, &timeout) > 0 { stop.set() }
    }
    for thread in threads { pthread_join(thread, nil) }
}

/// Starts a thread that runs `body` beside the process's other work and is never joined (detached).
public func startBackgroundThread(_ body: @escaping @Sendable () -> Void) {
    pthread_detach(startThread(body))
}

private final class Running: Sendable {
    let value: Atomic<Int>
    init(_ count: Int) { self.value = Atomic(count) }
}

private func startThread(_ body: @escaping @Sendable () -> Void) -> pthread_t {
    final class Box: Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    var thread = pthread_t()
    let status = pthread_create(
        &thread, nil,
        { argument in
            Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue().body()
            return nil
        }, Unmanaged.passRetained(Box(body)).toOpaque())
    precondition(status == 0, "pthread_create failed: \(status)")
    return thread
}

/// How a cron job keeps working for most of its minute: runs `pass` once, then again every `pauseSeconds` until
/// `stop` is set or `deadline` (monotonic seconds) passes. The first pass always runs.
public func repeatUntil(deadline: Double, stop: StopFlag, pauseSeconds: Double, _ pass: () throws -> Void) rethrows {
    repeat {
        try pass()
        sleepSeconds(min(pauseSeconds, max(0, deadline - monotonicSeconds())))
    } while !stop.isSet && monotonicSeconds() < deadline
}

/// The exit statuses of the executables (sysexits.h), so a supervisor can tell them apart: systemd's
/// `RestartPreventExitStatus=78` keeps a badly configured responder from restarting in a loop, and cron mail shows
/// which run only needs the next minute.
public enum ExitStatus: Int32 {
    /// `EX_TEMPFAIL`: the work is incomplete, the next run continues.
    case temporaryFailure = 75
    /// `EX_CONFIG`: the configuration (environment, texts, keys) is invalid; nothing will work until it is fixed.
    case configuration = 78
}
