import Logging
import Platform
import Postgres
import Storage
import TestSupport
import Testing

/// The delayed-jobs engine against a real PostgreSQL (a fresh database per test), with time as an input.
@Suite("Delayed jobs", .stack)
struct DelayedJobsTests {
    let jobs = DelayedJobs()
    let t0 = 1_900_000_000.0

    func withDatabase(_ body: (PostgresConnection) throws -> Void) throws {
        try TestStack.withFreshDatabase { conninfo in
            let connection = try PostgresConnection(conninfo: conninfo)
            try Migrator(directory: try TestStack.root() + "/migrations", logger: Logger(label: "test")).migrate(connection)
            try body(connection)
        }
    }

    @Test func aJobRunsOnlyWhenDueAndSchedulingIsIdempotent() throws {
        try self.withDatabase { db in
            #expect(try self.jobs.schedule(id: "email1/1", kind: "email1", payload: #"{"lead_id":1}"#, runAt: self.t0 + 1800, on: db))
            #expect(try !self.jobs.schedule(id: "email1/1", kind: "email1", runAt: self.t0 + 5, on: db))
            #expect(try self.jobs.claimDue(now: self.t0 + 1799, limit: 10, leaseSeconds: 60, on: db).isEmpty)
            let due = try self.jobs.claimDue(now: self.t0 + 1800, limit: 10, leaseSeconds: 60, on: db)
            #expect(due.map(\.id) == ["email1/1"])
            #expect(due.first?.payload == #"{"lead_id": 1}"#)
            #expect(due.first?.attempt == 1)
            #expect(try self.jobs.finish(due[0], now: self.t0 + 1801, on: db))
            #expect(try self.jobs.claimDue(now: self.t0 + 99999, limit: 10, leaseSeconds: 60, on: db).isEmpty)
            #expect(try self.jobs.list(on: db).map(\.status) == ["done"])
        }
    }

    @Test func aCancelledJobNeverRuns() throws {
        try self.withDatabase { db in
            try self.jobs.schedule(id: "email2/7", kind: "email2", runAt: self.t0, on: db)
            try self.jobs.schedule(id: "call_alert/7", kind: "call_alert", runAt: self.t0, on: db)
            #expect(
                try self.jobs.cancel(ids: ["email1/7", "email2/7", "call_alert/7"], reason: "bot_activated", now: self.t0, on: db) == 2)
            #expect(try self.jobs.claimDue(now: self.t0 + 86400 * 3, limit: 10, leaseSeconds: 60, on: db).isEmpty)
            #expect(Set(try self.jobs.list(on: db).map(\.status)) == ["cancelled"])
        }
    }

    @Test func aJobWhoseRunnerDiedRunsAgainAfterTheLeaseAndTheOldClaimCannotFinishIt() throws {
        try self.withDatabase { db in
            try self.jobs.schedule(id: "remind/1", kind: "remind", runAt: self.t0, on: db)
            let first = try self.jobs.claimDue(now: self.t0, limit: 1, leaseSeconds: 120, on: db)
            #expect(first.count == 1)
            // Another runner looks while the lease holds: nothing.
            #expect(try self.jobs.claimDue(now: self.t0 + 119, limit: 1, leaseSeconds: 120, on: db).isEmpty)
            let second = try self.jobs.claimDue(now: self.t0 + 121, limit: 1, leaseSeconds: 120, on: db)
            #expect(second.map(\.attempt) == [2])
            #expect(try !self.jobs.finish(first[0], now: self.t0 + 122, on: db), "a stale claim must not finish the job")
            #expect(try self.jobs.finish(second[0], now: self.t0 + 122, on: db))
        }
    }

    @Test func failuresBackOffThenTheJobIsDeadAndCanBeReplayed() throws {
        try self.withDatabase { db in
            try self.jobs.schedule(id: "email1/9", kind: "email1", runAt: self.t0, on: db)
            var now = self.t0
            for attempt in 1...3 {
                let claimed = try self.jobs.claimDue(now: now, limit: 1, leaseSeconds: 60, on: db)
                #expect(claimed.map(\.attempt) == [attempt])
                let dead = try self.jobs.fail(claimed[0], error: "resend 500", retryInSeconds: 30, maxAttempts: 3, now: now, on: db)
                #expect(dead == (attempt == 3))
                #expect(try self.jobs.claimDue(now: now + 29, limit: 1, leaseSeconds: 60, on: db).isEmpty, "backoff not respected")
                now += 30
            }
            #expect(try self.jobs.claimDue(now: now + 86400, limit: 1, leaseSeconds: 60, on: db).isEmpty)
            let dead = try self.jobs.list(status: "dead", on: db)
            #expect(dead.map(\.lastError) == ["resend 500"])
            #expect(try self.jobs.replayDead(now: now, on: db).count == 1)
            #expect(try self.jobs.claimDue(now: now, limit: 1, leaseSeconds: 60, on: db).map(\.id) == ["email1/9"])
        }
    }

    @Test func twoRunnersNeverClaimTheSameJob() throws {
        try TestStack.withFreshDatabase { conninfo in
            let setup = try PostgresConnection(conninfo: conninfo)
            try Migrator(directory: try TestStack.root() + "/migrations", logger: Logger(label: "test")).migrate(setup)
            for index in 0..<40 { try self.jobs.schedule(id: "job/\(index)", kind: "k", runAt: self.t0 + Double(index), on: setup) }
            let a = try PostgresConnection(conninfo: conninfo)
            let b = try PostgresConnection(conninfo: conninfo)
            var claimed: [String] = []
            for _ in 0..<25 {
                claimed += try self.jobs.claimDue(now: self.t0 + 100, limit: 1, leaseSeconds: 60, on: a).map(\.id)
                claimed += try self.jobs.claimDue(now: self.t0 + 100, limit: 1, leaseSeconds: 60, on: b).map(\.id)
            }
            #expect(claimed.count == 40)
            #expect(Set(claimed).count == 40)
            #expect(claimed.prefix(2) == ["job/0", "job/1"], "oldest first")
        }
    }

    @Test func rescheduleReplacesAPendingJobButNotAFinishedOne() throws {
        try self.withDatabase { db in
            try self.jobs.schedule(id: "remind24h/5", kind: "remind24h", runAt: self.t0, on: db)
            try self.jobs.reschedule(id: "remind24h/5", kind: "remind24h", runAt: self.t0 + 500, on: db)
            #expect(try self.jobs.claimDue(now: self.t0 + 499, limit: 1, leaseSeconds: 60, on: db).isEmpty)
            let claimed = try self.jobs.claimDue(now: self.t0 + 500, limit: 1, leaseSeconds: 60, on: db)
            try self.jobs.finish(claimed[0], now: self.t0 + 500, on: db)
            try self.jobs.reschedule(id: "remind24h/5", kind: "remind24h", runAt: self.t0 + 900, on: db)
            #expect(try self.jobs.list(on: db).map(\.status) == ["done"])
        }
    }
}
