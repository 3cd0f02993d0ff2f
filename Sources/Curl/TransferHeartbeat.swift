import Glibc

/// A closure that keeps a caller's claim alive (a queue lease) while this thread waits on slow HTTP calls.
///
/// A drain step may call OpenAI (45 s), Whisper (120 s), Zoom and Google, each through a client built deep in the
/// services with its own `HTTPClient`. Rather than threading a closure through every client, the step installs its
/// heartbeat for the duration of the work with `during(_:every:_:)`; every transfer on this thread then calls it
/// from libcurl's progress callback (about once a second even while the server is silent), and waits between
/// attempts use `sleep(seconds:)`, which beats too. The heartbeat is per thread: each worker thread owns its
/// clients and its lease, so nothing crosses threads.
public enum TransferHeartbeat {
    /// Runs `body` with `beat` installed as this thread's heartbeat, called at most once per `interval` seconds
    /// while transfers or `sleep(seconds:)` run inside `body`. Nested calls restore the outer heartbeat on return.
    public static func during<T>(_ beat: () -> Void, every interval: Double = 1, _ body: () throws -> T) rethrows -> T {
        try withoutActuallyEscaping(beat) { beat in
            let box = Unmanaged.passRetained(Beat(beat, interval: interval))
            let outer = pthread_getspecific(heartbeatKey)
            pthread_setspecific(heartbeatKey, box.toOpaque())
            // `beat` must not outlive this call (withoutActuallyEscaping checks it): the box is released here.
            defer {
                pthread_setspecific(heartbeatKey, outer)
                box.release()
            }
            return try body()
        }
    }

    /// Calls this thread's heartbeat if one is installed and its interval has passed.
    public static func beatIfDue() {
        guard let raw = pthread_getspecific(heartbeatKey) else { return }
        Unmanaged<Beat>.fromOpaque(raw).takeUnretainedValue().beatIfDue()
    }

    /// Sleeps `seconds`, beating in between (a retry's wait inside a step must not let the lease lapse).
    public static func sleep(seconds: Double) {
        let end = monotonic() + seconds
        while true {
            beatIfDue()
            let left = end - monotonic()
            guard left > 0 else { return }
            let slice = min(left, 0.5)
            var request = timespec(tv_sec: Int(slice), tv_nsec: Int((slice - Double(Int(slice))) * 1_000_000_000))
            var remaining = timespec()
            while nanosleep(&request, &remaining) != 0 { request = remaining }
        }
    }

    /// The installed heartbeat as an opaque pointer for libcurl's progress callback (valid during `during`).
    static var current: UnsafeMutableRawPointer? { pthread_getspecific(heartbeatKey) }

    /// The heartbeat and when it last ran; reached from the C progress callback through an unretained pointer.
    final class Beat {
        private let beat: () -> Void
        private let interval: Double
        private var last = -Double.infinity

        init(_ beat: @escaping () -> Void, interval: Double) {
            self.beat = beat
            self.interval = interval
        }

        func beatIfDue() {
            let now = monotonic()
            guard now - self.last >= self.interval else { return }
            self.last = now
            self.beat()
        }
    }
}

/// One key for the whole process; each thread's value is its installed `TransferHeartbeat.Beat` (or nil).
private let heartbeatKey: pthread_key_t = {
    var key = pthread_key_t()
    let status = pthread_key_create(&key, nil)
    precondition(status == 0, "pthread_key_create failed: \(status)")
    return key
}()

private func monotonic() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1_000_000_000
}
