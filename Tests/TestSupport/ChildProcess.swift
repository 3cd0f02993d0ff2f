public import Foundation
import Glibc

/// How a finished child process ended.
public struct ProcessResult: Sendable {
    /// The exit status, or 128 + signal when it was killed by a signal.
    public let status: Int32
    public let exitedBySignal: Bool
    public let stdout: String
    public let stderr: String
}

/// A child process (Foundation `Process`), signalled by its own PID only. Its stdout and stderr are captured in
/// memory, or written together to `logPath` (long-running cron jobs: the log stays for a look after a failure).
public final class ChildProcess: @unchecked Sendable {
    public let process = Process()
    /// A label for failure messages.
    public let name: String
    public let logPath: String?
    private let stdoutReader: PipeReader?
    private let stderrReader: PipeReader?
    private let log: FileHandle?

    public init(
        _ path: String, _ arguments: [String], environment: [String: String], standardInput: Any? = nil, name: String? = nil,
        logPath: String? = nil
    ) throws {
        self.name = name ?? URL(fileURLWithPath: path).lastPathComponent
        self.logPath = logPath
        self.process.executableURL = URL(fileURLWithPath: path)
        self.process.arguments = arguments
        self.process.environment = environment
        self.process.standardInput = standardInput ?? FileHandle.nullDevice
        if let logPath {
            guard FileManager.default.createFile(atPath: logPath, contents: nil), let log = FileHandle(forWritingAtPath: logPath)
            else { throw StackError("cannot create \(logPath)") }
            self.log = log
            self.process.standardOutput = log
            self.process.standardError = log
            try self.process.run()
            self.stdoutReader = nil
            self.stderrReader = nil
        } else {
            let stdout = Pipe()
            let stderr = Pipe()
            self.process.standardOutput = stdout
            self.process.standardError = stderr
            try self.process.run()
            self.log = nil
            self.stdoutReader = PipeReader(stdout.fileHandleForReading)
            self.stderrReader = PipeReader(stderr.fileHandleForReading)
        }
    }

    deinit { try? self.log?.close() }

    /// The exit status (128 + signal when killed by one); nil while running.
    public var exitStatus: Int32? {
        guard !self.process.isRunning else { return nil }
        return self.process.terminationReason == .uncaughtSignal ? 128 + self.process.terminationStatus : self.process.terminationStatus
    }

    /// Everything it wrote so far (stdout, then stderr, when captured in memory).
    public var output: String {
        if let logPath { return (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
        return (self.stdoutReader?.snapshot() ?? "") + (self.stderrReader?.snapshot() ?? "")
    }

    /// The last `lines` lines of its output so far.
    public func logTail(_ lines: Int = 25) -> String {
        self.output.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    public var pid: Int32 { self.process.processIdentifier }
    public var isRunning: Bool { self.process.isRunning }

    /// Sends `signal` to this child (and only to it).
    public func signal(_ signal: Int32) {
        if self.process.isRunning { kill(self.process.processIdentifier, signal) }
    }

    /// Waits up to `timeout` seconds; true when it exited.
    @discardableResult
    public func waitForExit(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while self.process.isRunning && Date() < deadline { usleep(5_000) }
        return !self.process.isRunning
    }

    /// Waits for the exit (SIGKILL after `timeout`, then an error) and collects the output.
    public func wait(timeout: Double) throws -> ProcessResult {
        guard self.waitForExit(timeout: timeout) else {
            self.signal(SIGKILL)
            self.waitForExit(timeout: 5)
            throw StackError(
                "\(self.process.executableURL?.path ?? "?") did not exit within \(timeout)s; "
                    + "output: \(self.stderrReader?.text(waitingUpTo: 1) ?? self.logTail())")
        }
        return self.result()
    }

    /// The result of an exited process.
    public func result() -> ProcessResult {
        self.process.waitUntilExit()
        let bySignal = self.process.terminationReason == .uncaughtSignal
        return ProcessResult(
            status: bySignal ? 128 + self.process.terminationStatus : self.process.terminationStatus,
            exitedBySignal: bySignal, stdout: self.stdoutReader?.text(waitingUpTo: 5) ?? self.output,
            stderr: self.stderrReader?.text(waitingUpTo: 5) ?? "")
    }

    /// Signal masks and thread states from /proc, for a failure message about a process that did not stop.
    public var diagnostics: String {
        let pid = self.process.processIdentifier
        var text =
            (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8))?
            .split(separator: "\n").filter { $0.hasPrefix("Sig") || $0.hasPrefix("ShdPnd") || $0.hasPrefix("Threads") }
            .joined(separator: " ") ?? "no /proc entry"
        if let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") {
            for task in tasks.sorted() {
                let wchan = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/wchan", encoding: .utf8)) ?? "?"
                let status =
                    (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/status", encoding: .utf8))?
                    .split(separator: "\n").filter { $0.hasPrefix("SigBlk") || $0.hasPrefix("SigPnd") }.joined(separator: " ") ?? ""
                text += "; task \(task) wchan=\(wchan) \(status)"
            }
        }
        return text + "; stderr: " + self.stderrSoFar
    }

    /// The stderr read so far (the process may still be running).
    public var stderrSoFar: String { self.stderrReader?.snapshot() ?? self.logTail() }

    /// Kills the child if it is still running (cleanup after a failed test).
    public func kill9() {
        self.signal(SIGKILL)
        self.waitForExit(timeout: 5)
    }
}

/// Drains a pipe on its own thread, so a chatty child never blocks on a full pipe.
public final class PipeReader: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private var finished = false

    public init(_ handle: FileHandle) {
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

    public func snapshot() -> String {
        self.lock.lock()
        defer { self.lock.unlock() }
        return String(decoding: self.data, as: UTF8.self)
    }

    /// Everything, once the writer closed the pipe (or what came within `seconds`).
    public func text(waitingUpTo seconds: Double) -> String {
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
