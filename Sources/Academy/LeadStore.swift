public import BotCore
import FoundationEssentials
public import Messages
import Platform
public import Postgres
public import Storage

/// A lead as stored in PostgreSQL (the CRM's source of truth).
public struct Lead: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var phone: String?
    public var email: String?
    public var childAge: String?
    /// The unguessable reference in the bot link of this lead's emails.
    public var linkToken: String
    public var tgID: Int64?
    public var tgChatID: Int64?
    public var tgBlocked: Bool
    public var language: String
    public var source: String
    public var status: String
    public var botActivated: Bool
    public var email1Sent: Bool
    public var email2Sent: Bool
    public var callAlertSent: Bool
    public var lessonDate: String?
    public var lessonTime: String?
    public var zoomLink: String?
    public var createdAt: Double

    /// What the email chain needs to decide.
    public var chainState: EmailChainLead {
        EmailChainLead(
            botActivated: self.botActivated, hasEmail: self.email != nil, email1Sent: self.email1Sent,
            email2Sent: self.email2Sent, callAlertSent: self.callAlertSent)
    }
}

/// Reads and writes leads and their history. Every write runs inside the caller's transaction.
public struct LeadStore: Sendable {
    public init() {}

    /// What recording a Tilda submission did.
    public struct TildaResult: Sendable, Equatable {
        public var leadID: Int64
        /// False when the lead existed (same email or phone) and was updated.
        public var created: Bool
        /// True when this `tranid` had been recorded before (a replayed message): nothing changed.
        public var duplicate: Bool
        /// The chain step scheduled, if any.
        public var scheduled: EmailChainStep?
    }

    static let columns = """
        id, name, phone, email, child_age, link_token, tg_id, tg_chat_id, tg_blocked, language, source, status, bot_activated,
        email_1_sent, email_2_sent, call_alert_sent, lesson_date, lesson_time, zoom_link,
        extract(epoch FROM created_at)::double precision AS created_epoch
        """

    /// Upserts the lead by normalised email, then phone; logs the submission; starts the email chain
    /// unless the parent already opened the bot. Idempotent per `tranid`. Call inside a transaction.
    public func recordTilda(
        _ submission: TildaSubmission, chain: EmailChainPolicy, jobs: DelayedJobs, now: Double, on connection: PostgresConnection
    ) throws -> TildaResult {
        try Self.lockLeads(on: connection)
        if let seen = try connection.query(
            "SELECT lead_id FROM lead_events WHERE event = 'TILDA_SUBMITTED' AND detail ->> 'tranid' = $1", [submission.tranid]
        ).first {
            return TildaResult(leadID: try seen.decode("lead_id"), created: false, duplicate: true, scheduled: nil)
        }
        var lead = try self.find(email: submission.email, phone: submission.phone, on: connection)
        let created = lead == nil
        if let existing = lead {
            lead = try self.decodeLead(
                try connection.queryOne(
                    """
                    UPDATE leads SET name = COALESCE(NULLIF($2, ''), name), phone = COALESCE($3, phone), email = COALESCE($4, email),
                        child_age = COALESCE($5, child_age) WHERE id = $1 RETURNING \(Self.columns)
                    """, [String(existing.id), submission.name, submission.phone, submission.email, submission.childAge]))
        } else {
            lead = try self.decodeLead(
                try connection.queryOne(
                    """
                    INSERT INTO leads (name, phone, email, child_age, source, status, tilda_tranid, tilda_formid, created_at)
                    VALUES ($1, $2, $3, $4, 'tilda', 'NEW', $5, $6, to_timestamp($7::double precision)) RETURNING \(Self.columns)
                    """,
                    [
                        submission.name, submission.phone, submission.email, submission.childAge, submission.tranid,
                        submission.formid, String(now),
                    ]))
        }
        guard let lead else { throw PostgresError(code: .unexpectedResult, message: "lead upsert returned nothing") }
        var detail: [String: JSONValue] = ["tranid": .string(submission.tranid), "created": .bool(created)]
        if let formid = submission.formid { detail["formid"] = .string(formid) }
        if !submission.rejectedFields.isEmpty {
            detail["rejected"] = .object(submission.rejectedFields.mapValues(JSONValue.string))
        }
        try self.appendEvent(leadID: lead.id, "TILDA_SUBMITTED", detail: detail, now: now, on: connection)
        var scheduled: EmailChainStep?
        if let first = chain.start(for: lead.chainState), !lead.chainState.isSent(first.step) {
            let payload = JSONValue.object(["lead_id": .integer(lead.id)]).serialized
            if try jobs.schedule(
                id: first.step.jobID(leadID: lead.id), kind: first.step.rawValue, payload: payload, runAt: now + first.delay,
                on: connection)
            {
                scheduled = first.step
            }
        }
        return TildaResult(leadID: lead.id, created: created, duplicate: false, scheduled: scheduled)
    }

    /// The lead a Telegram user is registering as: the deep-link lead (by its link token), else the one already
    /// linked to this Telegram account, else by email, then by phone (with `find`'s rule for shared phones).
    public func lookup(
        deepLinkToken: String?, tgID: Int64?, email: String?, phone: String?, on connection: PostgresConnection
    ) throws -> Lead? {
        if let deepLinkToken,
            let row = try connection.query(
                "SELECT \(Self.columns) FROM leads WHERE link_token = $1", [deepLinkToken]
            ).first
        {
            return try self.decodeLead(row)
        }
        if let tgID, let row = try connection.query("SELECT \(Self.columns) FROM leads WHERE tg_id = $1", [String(tgID)]).first {
            return try self.decodeLead(row)
        }
        return try self.find(email: email, phone: phone, on: connection)
    }

    /// Records a parent who registered in the Telegram bot: links the Telegram account, sets
    /// `bot_activated` (which ends the email chain), fills the contact fields. Call inside a transaction.
    /// Returns the lead id.
    @discardableResult
    public func recordBotRegistration(
        tgID: Int64, chatID: Int64, mergeInto leadID: Int64?, deepLinkToken: String?, name: String?, phone: String, email: String,
        language: String, now: Double, on connection: PostgresConnection
    ) throws -> Int64 {
        try Self.lockLeads(on: connection)
        var target: Lead? = try leadID.flatMap { try self.lead(id: $0, on: connection) }
        if target == nil { target = try self.lookup(deepLinkToken: deepLinkToken, tgID: tgID, email: email, phone: phone, on: connection) }
        // Another lead may already hold this Telegram account or this email: never violate their uniqueness.
        if let current = target,
            let other = try connection.query(
                "SELECT id FROM leads WHERE (tg_id = $1 OR email = $2) AND id <> $3 LIMIT 1", [String(tgID), email, String(current.id)]
            ).first
        {
            target = try self.lead(id: try other.decode("id"), on: connection)
        }
        let id: Int64
        if let lead = target {
            id = try connection.queryOne(
                """
                UPDATE leads SET tg_id = $2, tg_chat_id = $3, tg_blocked = false, bot_activated = true,
                    name = COALESCE(NULLIF($4, ''), name), phone = $5,
                    email = CASE WHEN email IS NULL OR email = $6 THEN $6 ELSE email END, language = $7,
                    status = CASE WHEN status = 'NEW' THEN 'REGISTERED' ELSE status END
                WHERE id = $1 RETURNING id
                """, [String(lead.id), String(tgID), String(chatID), name ?? "", phone, email, language]
            ).decode("id")
        } else {
            id = try connection.queryOne(
                """
                INSERT INTO leads (name, phone, email, tg_id, tg_chat_id, language, source, status, bot_activated, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, 'direct_bot', 'REGISTERED', true, to_timestamp($7::double precision)) RETURNING id
                """, [name ?? "", phone, email, String(tgID), String(chatID), language, String(now)]
            ).decode("id")
        }
        var detail: [String: JSONValue] = ["tg_id": .integer(tgID), "created": .bool(target == nil)]
        if deepLinkToken != nil { detail["via_deep_link"] = .bool(true) }
        try self.appendEvent(leadID: id, "BOT_ACTIVATED", detail: detail, now: now, on: connection)
        return id
    }

    /// Records the booked lesson on the Telegram user's lead (status SCHEDULED), or its cancellation.
    public func recordLesson(
        tgID: Int64, lessonAt: Double?, date: String?, time: String?, zoomLink: String?, meetingID: String?, eventID: String?,
        now: Double, on connection: PostgresConnection
    ) throws {
        let rows = try connection.query(
            """
            UPDATE leads SET lesson_at = to_timestamp($2::double precision), lesson_date = $3, lesson_time = $4, zoom_link = $5,
                zoom_meeting_id = $6, calendar_event_id = $7, status = CASE WHEN $2 IS NULL THEN 'CANCELLED' ELSE 'SCHEDULED' END
            WHERE tg_id = $1 RETURNING id
            """, [String(tgID), lessonAt.map { String($0) }, date, time, zoomLink, meetingID, eventID])
        for row in rows {
            let detail: [String: JSONValue] = lessonAt.map { ["lesson_at": .number($0)] } ?? [:]
            try self.appendEvent(
                leadID: try row.decode("id"), lessonAt == nil ? "LESSON_CANCELLED" : "LESSON_SCHEDULED", detail: detail, now: now,
                on: connection)
        }
    }

    /// Marks the leads of a chat that blocked the bot, so nothing more is sent to it.
    public func markBlocked(chatID: Int64, on connection: PostgresConnection) throws {
        try connection.query("UPDATE leads SET tg_blocked = true WHERE tg_chat_id = $1 AND NOT tg_blocked", [String(chatID)])
    }

    /// The lead with this email; else the oldest with this phone, unless that lead has a different email
    /// (a shared family phone is not proof of the same person, and a known address is never overwritten).
    public func find(email: String?, phone: String?, on connection: PostgresConnection) throws -> Lead? {
        if let email, let row = try connection.query("SELECT \(Self.columns) FROM leads WHERE email = $1", [email]).first {
            return try self.decodeLead(row)
        }
        if let phone,
            let row = try connection.query(
                "SELECT \(Self.columns) FROM leads WHERE phone = $1 AND ($2::text IS NULL OR email IS NULL) ORDER BY id LIMIT 1",
                [phone, email]
            ).first
        {
            return try self.decodeLead(row)
        }
        return nil
    }

    /// One lead by id (`forUpdate` locks its row until the transaction ends).
    public func lead(id: Int64, forUpdate: Bool = false, on connection: PostgresConnection) throws -> Lead? {
        try connection.query(
            "SELECT \(Self.columns) FROM leads WHERE id = $1" + (forUpdate ? " FOR UPDATE" : ""), [String(id)]
        ).first.map(self.decodeLead)
    }

    /// The newest leads first.
    public func list(limit: Int, on connection: PostgresConnection) throws -> [Lead] {
        try connection.query("SELECT \(Self.columns) FROM leads ORDER BY id DESC LIMIT $1", [String(limit)]).map(self.decodeLead)
    }

    /// A lead's history, oldest first: (event, detail JSON, epoch seconds).
    public func events(leadID: Int64, on connection: PostgresConnection) throws -> [(event: String, detail: String, at: Double)] {
        try connection.query(
            """
            SELECT event, detail::text AS detail, extract(epoch FROM created_at)::double precision AS at
            FROM lead_events WHERE lead_id = $1 ORDER BY id
            """, [String(leadID)]
        ).map { (try $0.decode("event"), try $0.decode("detail"), try $0.decode("at")) }
    }

    /// The seed's appendLog: one line of the lead's history.
    public func appendEvent(
        leadID: Int64, _ event: String, detail: [String: JSONValue] = [:], now: Double, on connection: PostgresConnection
    ) throws {
        try connection.query(
            "INSERT INTO lead_events (lead_id, event, detail, created_at) VALUES ($1, $2, $3::jsonb, to_timestamp($4::double precision))",
            [String(leadID), event, JSONValue.object(detail).serialized, String(now)])
    }

    /// Marks a chain step as sent (`email_1_sent`, ...).
    public func markSent(_ step: EmailChainStep, leadID: Int64, on connection: PostgresConnection) throws {
        let column =
            switch step {
            case .email1: "email_1_sent"
            case .email2: "email_2_sent"
            case .callAlert: "call_alert_sent"
            }
        try connection.query("UPDATE leads SET \(column) = true WHERE id = $1 AND NOT \(column)", [String(leadID)])
    }

    /// Serialises lead find-or-create across every drainer: leads are rare (tens a day), so one
    /// transaction-scoped lock is simpler and safer than racing on two partial unique indexes.
    static func lockLeads(on connection: PostgresConnection) throws {
        try connection.query("SELECT pg_advisory_xact_lock(hashtextextended('academy:leads', 0))")
    }

    func decodeLead(_ row: PostgresRow) throws -> Lead {
        Lead(
            id: try row.decode("id"), name: try row.decode("name"), phone: try row.decodeIfPresent("phone"),
            email: try row.decodeIfPresent("email"), childAge: try row.decodeIfPresent("child_age"),
            linkToken: try row.decode("link_token"),
            tgID: try row.decodeIfPresent("tg_id"), tgChatID: try row.decodeIfPresent("tg_chat_id"),
            tgBlocked: try row.decode("tg_blocked"), language: try row.decode("language"), source: try row.decode("source"),
            status: try row.decode("status"), botActivated: try row.decode("bot_activated"),
            email1Sent: try row.decode("email_1_sent"), email2Sent: try row.decode("email_2_sent"),
            callAlertSent: try row.decode("call_alert_sent"), lessonDate: try row.decodeIfPresent("lesson_date"),
            lessonTime: try row.decodeIfPresent("lesson_time"), zoomLink: try row.decodeIfPresent("zoom_link"),
            createdAt: try row.decode("created_epoch"))
    }
}
