import Foundation
import Glibc

/// A setup or wait problem: shown as the failure reason.
public struct StackError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Polls `condition` every 10 ms for up to `timeout` seconds; whether it came true.
public func eventually(timeout: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = now() + timeout
    repeat {
        if try condition() { return true }
        usleep(10_000)
    } while now() < deadline
    return try condition()
}

/// Polls `condition` until it holds; after `timeout` seconds throws an error naming `what`, with `diagnostics` (e.g.
/// the ends of the children's logs) to show why.
public func waitUntil(
    _ what: String, timeout: Double = 15, diagnostics: () -> String = { "" }, _ condition: () throws -> Bool
) throws {
    guard try eventually(timeout: timeout, condition) else {
        let details = diagnostics()
        throw StackError("timed out after \(timeout) s waiting for \(what)" + (details.isEmpty ? "" : "\n" + details))
    }
}

/// Monotonic seconds, for deadlines and durations in tests.
public func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// A lock-protected value shared by threads of a test.
public final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) { self.value = value }

    public func with<R>(_ body: (inout Value) -> R) -> R {
        self.lock.lock()
        defer { self.lock.unlock() }
        return body(&self.value)
    }

    public var snapshot: Value { self.with { $0 } }
}

/// Runs `body(index)` on `count` real threads (1 MiB stacks) and waits for all of them.
public func runInParallel(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        let thread = Thread {
            body(index)
            group.leave()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
    group.wait()
}
