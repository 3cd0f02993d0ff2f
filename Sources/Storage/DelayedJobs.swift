public import Postgres

/// Durable delayed work in PostgreSQL (`scheduled_jobs`): the email chain, call alerts, reminders.
///
/// - Scheduling is idempotent: ids are deterministic (`email1/42`), a second `schedule` is a no-op.
/// - A job is cancelled by its id, so a lead who opens the bot never gets email 2.
/// - `claimDue` leases jobs with `FOR UPDATE SKIP LOCKED`: any number of `due-jobs` runners on any
///   number of hosts take disjoint jobs, and a runner that dies mid-job leaves it due again when the
///   lease passes (at least once; handlers make their effects idempotent).
/// - Every time comparison uses the caller's `now`, never the database clock, so tests move time.
public struct DelayedJobs: Sendable {
    /// A claimed job.
    public struct Job: Sendable, Equatable {
        public let id: String
        public let kind: String
        /// The payload as JSON text.
        public let payload: String
        public let runAt: Double
        /// Runs so far including this one; also the fencing token of this claim.
        public let attempt: Int
    }

    /// A job as listed by operators.
    public struct Record: Sendable, Equatable {
        public let id: String
        public let kind: String
        public let runAt: Double
        public let status: String
        public let attempts: Int
        public let lastError: String?
    }

    public init() {}

    /// Schedules `id` unless a job with that id exists (whatever its status). Returns true when added.
    @discardableResult
    public func schedule(id: String, kind: String, payload: String = "{}", runAt: Double, on connection: PostgresConnection) throws -> Bool
    {
        !(try connection.query(
            """
            INSERT INTO scheduled_jobs (id, kind, payload, run_at) VALUES ($1, $2, $3::jsonb, to_timestamp($4::double precision))
            ON CONFLICT (id) DO NOTHING RETURNING id
            """, [id, kind, payload, String(runAt)]
        ).isEmpty)
    }

    /// Schedules `id` at `runAt`, replacing a pending or cancelled job of that id (a rescheduled lesson's reminder).
    public func reschedule(id: String, kind: String, payload: String = "{}", runAt: Double, on connection: PostgresConnection) throws {
        try connection.query(
            """
            INSERT INTO scheduled_jobs (id, kind, payload, run_at) VALUES ($1, $2, $3::jsonb, to_timestamp($4::double precision))
            ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, payload = EXCLUDED.payload, run_at = EXCLUDED.run_at,
                status = 'pending', attempts = 0, locked_until = NULL, last_error = NULL, finished_at = NULL
            WHERE scheduled_jobs.status IN ('pending', 'cancelled')
            """, [id, kind, payload, String(runAt)])
    }

    /// Cancels the pending jobs among `ids`; returns how many were cancelled.
    @discardableResult
    public func cancel(ids: [String], reason: String, now: Double, on connection: PostgresConnection) throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try connection.query(
            """
            UPDATE scheduled_jobs SET status = 'cancelled', last_error = $2, finished_at = to_timestamp($3::double precision)
            WHERE id = ANY($1::text[]) AND status = 'pending' RETURNING id
            """, [Self.textArray(ids), reason, String(now)]
        ).count
    }

    /// Leases up to `limit` due jobs, oldest first, for `leaseSeconds`.
    public func claimDue(now: Double, limit: Int, leaseSeconds: Double, on connection: PostgresConnection) throws -> [Job] {
        try connection.query(
            """
            UPDATE scheduled_jobs SET attempts = attempts + 1,
                locked_until = to_timestamp($1::double precision) + make_interval(secs => $3::double precision)
            WHERE id IN (
                SELECT id FROM scheduled_jobs
                WHERE status = 'pending' AND run_at <= to_timestamp($1::double precision)
                  AND (locked_until IS NULL OR locked_until <= to_timestamp($1::double precision))
                ORDER BY run_at LIMIT $2 FOR UPDATE SKIP LOCKED)
            RETURNING id, kind, payload::text AS payload, extract(epoch FROM run_at)::double precision AS run_at, attempts
            """, [String(now), String(limit), String(leaseSeconds)]
        ).map { row in
            Job(
                id: try row.decode("id"), kind: try row.decode("kind"), payload: try row.decode("payload"),
                runAt: try row.decode("run_at"), attempt: try row.decode("attempts"))
        }.sorted { $0.runAt < $1.runAt }
    }

    /// Marks a claimed job finished (`done`, or `cancelled` when it decided to skip) — call it inside the
    /// transaction that commits the job's effects. False when this claim no longer owns the job.
    @discardableResult
    public func finish(_ job: Job, skipped reason: String? = nil, now: Double, on connection: PostgresConnection) throws -> Bool {
        !(try connection.query(
            """
            UPDATE scheduled_jobs SET status = $3, last_error = $4, locked_until = NULL, finished_at = to_timestamp($5::double precision)
            WHERE id = $1 AND attempts = $2 AND status = 'pending' RETURNING id
            """, [job.id, String(job.attempt), reason == nil ? "done" : "cancelled", reason, String(now)]
        ).isEmpty)
    }

    /// Whether `job` is still pending and owned by this claim (not cancelled, finished or re-claimed since).
    public func isOwned(_ job: Job, on connection: PostgresConnection) throws -> Bool {
        !(try connection.query(
            "SELECT 1 FROM scheduled_jobs WHERE id = $1 AND attempts = $2 AND status = 'pending'", [job.id, String(job.attempt)]
        ).isEmpty)
    }

    /// Records a failed run: due again after `retryInSeconds`, or dead after `maxAttempts` runs. Returns true when dead.
    @discardableResult
    public func fail(
        _ job: Job, error: String, retryInSeconds: Double, maxAttempts: Int, now: Double, on connection: PostgresConnection
    ) throws -> Bool {
        let dead = job.attempt >= maxAttempts
        try connection.query(
            """
            UPDATE scheduled_jobs SET last_error = $3, locked_until = NULL,
                status = CASE WHEN $4 THEN 'dead' ELSE 'pending' END,
                run_at = CASE WHEN $4 THEN run_at ELSE to_timestamp($5::double precision) END,
                finished_at = CASE WHEN $4 THEN to_timestamp($6::double precision) END
            WHERE id = $1 AND attempts = $2 AND status = 'pending'
            """, [job.id, String(job.attempt), error, dead ? "true" : "false", String(now + retryInSeconds), String(now)])
        return dead
    }

    /// Jobs whose id starts with `prefix` (or all), newest first.
    public func list(prefix: String = "", status: String? = nil, limit: Int = 100, on connection: PostgresConnection) throws -> [Record] {
        try connection.query(
            """
            SELECT id, kind, extract(epoch FROM run_at)::double precision AS run_at, status, attempts, last_error
            FROM scheduled_jobs WHERE starts_with(id, $1) AND ($2::text IS NULL OR status = $2)
            ORDER BY run_at DESC, id LIMIT $3
            """, [prefix, status, String(limit)]
        ).map { row in
            Record(
                id: try row.decode("id"), kind: try row.decode("kind"), runAt: try row.decode("run_at"),
                status: try row.decode("status"), attempts: try row.decode("attempts"), lastError: try row.decodeIfPresent("last_error"))
        }
    }

    /// Puts dead jobs (all, or those among `ids`) back to pending, due at `now` (the operator fixed the cause), in one
    /// statement that only matches dead rows: replayed twice at once, a job is replayed once. Returns the replayed ids.
    @discardableResult
    public func replayDead(ids: [String]? = nil, now: Double, on connection: PostgresConnection) throws -> [String] {
        try connection.query(
            """
            UPDATE scheduled_jobs SET status = 'pending', attempts = 0, run_at = to_timestamp($1::double precision),
                locked_until = NULL, finished_at = NULL WHERE status = 'dead' AND ($2::text[] IS NULL OR id = ANY($2::text[]))
            RETURNING id
            """, [String(now), ids.map(Self.textArray)]
        ).map { try $0.decode("id") }
    }

    /// Gives up on dead jobs among `ids` for good: cancelled, with the dead letter's error kept. Returns their ids.
    public func discardDead(ids: [String], now: Double, on connection: PostgresConnection) throws -> [String] {
        try connection.query(
            """
            UPDATE scheduled_jobs SET status = 'cancelled', finished_at = to_timestamp($1::double precision),
                last_error = coalesce(last_error || ' ', '') || '(discarded by an operator)'
            WHERE status = 'dead' AND id = ANY($2::text[]) RETURNING id
            """, [String(now), Self.textArray(ids)]
        ).map { try $0.decode("id") }
    }

    /// A PostgreSQL text[] literal; elements are quoted so commas and quotes in ids are safe.
    static func textArray(_ items: [String]) -> String {
        "{"
            + items.map { "\"" + $0.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\"" }
            .joined(separator: ",") + "}"
    }
}
