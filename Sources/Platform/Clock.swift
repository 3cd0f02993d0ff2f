import Glibc

/// Wall-clock time as an input: production reads the system clock, tests pass their own.
public struct Clock: Sendable {
    /// Seconds since 1970.
    public var now: @Sendable () -> Double

    public init(now: @escaping @Sendable () -> Double) { self.now = now }

    /// The system clock.
    public static let system = Clock {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// Milliseconds since 1970, the unit of queue scores.
    public var nowMilliseconds: Int64 { Int64(self.now() * 1000) }
}

/// Monotonic seconds, for measuring durations (never goes backwards).
public func monotonicSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}
