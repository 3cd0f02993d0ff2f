public import BotCore
import Clients
import FoundationEssentials
public import Messages
public import Platform
public import Postgres
public import Storage

/// Runs one inbound message through the Shoro dialog and commits everything it causes in one
/// PostgreSQL transaction: the new dialog state, the order, the outcome, the replies (as outbox rows)
/// and the message log. Re-running a message that already committed changes nothing.
public struct ShoroStep {
    public static let outbox = Outbox(channel: "chat2desk")
    static let messageLog = MessageLog(source: "chat2desk")

    private let texts: ShoroTexts
    private let dialogTTLSeconds: Double
    private let handoff: Handoff

    /// How the bot works beside the people at the desk (from `AppConfig.Shoro`).
    public struct Handoff: Sendable {
        /// How long an operator's message or a request for a person silences the bot (unless `close_dialog` comes first).
        public var pauseSeconds: Double
        /// When someone is at the desk; nil: always.
        public var teamHours: ShoroTeamHours?
        /// Each new order is posted to dispatch as an internal comment in the client's Chat2Desk dialog.
        public var dispatchAsComment: Bool
        /// The team's time zone, for the time in dispatch notes.
        public var teamUTCOffsetMinutes: Int

        public init(
            pauseSeconds: Double = 4 * 3600, teamHours: ShoroTeamHours? = nil, dispatchAsComment: Bool = true,
            teamUTCOffsetMinutes: Int = 360
        ) {
            self.pauseSeconds = pauseSeconds
            self.teamHours = teamHours
            self.dispatchAsComment = dispatchAsComment
            self.teamUTCOffsetMinutes = teamUTCOffsetMinutes
        }

        /// The settings `SHORO_OPERATOR_PAUSE_SECONDS`, `SHORO_TEAM_HOURS`, `SHORO_TEAM_UTC_OFFSET_MINUTES` and
        /// `SHORO_DISPATCH_CHAT2DESK_COMMENT` give.
        public init(_ shoro: AppConfig.Shoro) {
            self.init(
                pauseSeconds: shoro.operatorPauseSeconds,
                teamHours: shoro.teamHours.map {
                    ShoroTeamHours(start: $0.start, end: $0.end, utcOffsetMinutes: shoro.teamUTCOffsetMinutes)
                },
                dispatchAsComment: shoro.dispatchAsComment, teamUTCOffsetMinutes: shoro.teamUTCOffsetMinutes)
        }
    }

    public init(texts: ShoroTexts, dialogTTLSeconds: Double = ShoroDialog.expirySeconds, handoff: Handoff = Handoff()) {
        self.texts = texts
        self.dialogTTLSeconds = dialogTTLSeconds
        self.handoff = handoff
    }

    /// What one step did, for logs and tests.
    public struct Result: Sendable, Equatable {
        public var alreadyProcessed: Bool
        public var stateBefore: String
        public var stateAfter: String
        public var replies: Int
        public var orderCreated: Bool
    }

    /// Handles several messages of different clients in one transaction and two round trips: `BEGIN` + the reads
    /// (the dialog rows locked first, then which messages already committed and each client's last order),
    /// then every write + `COMMIT`. Each kind of row is written by one statement for the whole batch, so a
    /// batch costs PostgreSQL about as many statements as one message. With `claimingOutbox`, the second
    /// round trip also takes the conversations' outbox locks and reads their pending replies after the commit:
    /// a claim is nil when another process holds that lock, and the caller must pass the claims to
    /// `Outbox.deliver`, which releases the locks. One result per message, in order.
    ///
    /// `now` is seconds since 1970. A failure rolls back the whole batch; the caller then runs the messages one
    /// by one to find the culprit.
    public func run(
        _ messages: [Chat2DeskInbound], now: Double, claimingOutbox: Bool, on connection: PostgresConnection
    ) throws -> [(result: Result, claim: Outbox.Claim?)] {
        guard Set(messages.map(\.clientID)).count == messages.count else {
            throw PostgresError(code: .unexpectedResult, message: "shoro step: one message per client in a batch")
        }
        guard !messages.isEmpty else { return [] }
        do {
            return try self.step(messages, now: now, claimingOutbox: claimingOutbox, on: connection)
        } catch {
            if connection.isHealthy { connection.rollbackIfInTransaction() }
            throw error
        }
    }

    /// The rows one batch writes, a column array per table.
    private struct Writes {
        var outbox = Columns(4)  // conversation, source key, payload, webhook accepted at (unix seconds)
        var dispatch = Columns(4)  // conversation, source key, payload with {order} and {time}, order idempotency key
        var orders = Columns(5)  // phone, address, bottles, client id, idempotency key
        var outcomes = Columns(7)  // client id, dialog id, outcome, completed, dropoff state, total messages, duration
        var dialogs = Columns(2)  // client id, dialog JSON
        var logs: [MessageLog.Entry] = []
        var teamUTCOffsetMinutes = 0

        struct Columns {
            var values: [[String?]]
            init(_ count: Int) { self.values = Array(repeating: [], count: count) }
            var isEmpty: Bool { self.values[0].isEmpty }
            mutating func append(_ row: [String?]) {
                for (index, value) in row.enumerated() { self.values[index].append(value) }
            }
            var arrays: [PostgresBind] { self.values.map(PostgresArray.literal) }
        }

        /// The statements, and which ones insert the outbox rows and the orders (their rows are the ids inserted and
        /// the orders created).
        var statements: (all: [PostgresStatement], outbox: [Int], orders: Int?) {
            var statements: [PostgresStatement] = []
            var outbox: [Int] = []
            var orders: Int?
            if !self.outbox.isEmpty {
                outbox.append(statements.count)
                // Ids follow the order of the arrays, which is the order replies must be sent in.
                statements.append(
                    PostgresStatement(
                        """
                        INSERT INTO outbox (channel, conversation, source_key, payload, accepted_at)
                        SELECT $1, t.conversation, t.source_key, t.payload::jsonb, to_timestamp(t.accepted_at::double precision)
                        FROM unnest($2::text[], $3::text[], $4::text[], $5::text[])
                            WITH ORDINALITY AS t(conversation, source_key, payload, accepted_at, ordinal)
                        ORDER BY t.ordinal
                        ON CONFLICT (source_key) DO NOTHING RETURNING id
                        """, [ShoroStep.outbox.channel] + self.outbox.arrays))
            }
            if !self.orders.isEmpty {
                orders = statements.count
                statements.append(
                    PostgresStatement(
                        """
                        INSERT INTO orders (client_phone, delivery_address, bottles_count, source, chat2desk_client_id, status, idempotency_key)
                        SELECT t.phone, t.address, t.bottles::int, 'chat2desk', t.client_id, 'new', t.idempotency_key
                        FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS t(phone, address, bottles, client_id, idempotency_key)
                        ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key
                        """, self.orders.arrays))
            }
            if !self.dispatch.isEmpty {
                outbox.append(statements.count)
                // After the orders: the note names the order's number and time, known once the row exists. Its source
                // key is the order's, so an order is announced once however often its step runs.
                statements.append(
                    PostgresStatement(
                        """
                        INSERT INTO outbox (channel, conversation, source_key, payload)
                        SELECT $1, t.conversation, t.source_key, jsonb_set(t.payload::jsonb, '{text}', to_jsonb(replace(replace(
                            t.payload::jsonb->>'text', '{order}', o.id::text),
                            '{time}', to_char(o.created_at AT TIME ZONE make_interval(mins => $6::int), 'DD.MM.YYYY HH24:MI'))))
                        FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS t(conversation, source_key, payload, order_key, ordinal)
                        JOIN orders o ON o.idempotency_key = t.order_key
                        ORDER BY t.ordinal
                        ON CONFLICT (source_key) DO NOTHING RETURNING id
                        """, [ShoroStep.outbox.channel] + self.dispatch.arrays + [String(self.teamUTCOffsetMinutes)]))
            }
            if !self.outcomes.isEmpty {
                statements.append(
                    PostgresStatement(
                        """
                        INSERT INTO dialog_outcomes (client_id, dialog_id, outcome, completed, dropoff_state, total_messages, duration_seconds)
                        SELECT t.client_id, t.dialog_id, t.outcome, t.completed::boolean, t.dropoff_state, t.total_messages::int, t.duration::int
                        FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
                            AS t(client_id, dialog_id, outcome, completed, dropoff_state, total_messages, duration)
                        ON CONFLICT DO NOTHING
                        """, self.outcomes.arrays))
            }
            if !self.dialogs.isEmpty {
                statements.append(
                    PostgresStatement(
                        """
                        INSERT INTO shoro_dialogs (client_id, dialog, updated_at)
                        SELECT t.client_id, t.dialog::jsonb, now() FROM unnest($1::text[], $2::text[]) AS t(client_id, dialog)
                        ON CONFLICT (client_id) DO UPDATE SET dialog = EXCLUDED.dialog, updated_at = now()
                        """, self.dialogs.arrays))
            }
            if !self.logs.isEmpty { statements.append(ShoroStep.messageLog.recordHandled(self.logs)) }
            return (statements, outbox, orders)
        }
    }

    private func step(
        _ messages: [Chat2DeskInbound], now: Double, claimingOutbox: Bool, on connection: PostgresConnection
    ) throws -> [(result: Result, claim: Outbox.Claim?)] {
        let clientIDs = PostgresArray.literal(messages.map(\.clientID))
        let reads = try connection.pipeline([
            PostgresStatement("BEGIN"),
            // The locks come first (in one order, so two batches cannot deadlock), so the check below sees a commit
            // by whoever held a row before us.
            PostgresStatement(
                "SELECT client_id, dialog::text AS dialog FROM shoro_dialogs WHERE client_id = ANY($1::text[]) ORDER BY client_id FOR UPDATE",
                [clientIDs]),
            Self.messageLog.handledStatement(messageIDs: messages.map(\.messageID)),
            PostgresStatement(
                """
                SELECT t.ordinal, last.delivery_address, last.client_phone,
                    last.id AS last_order_id, last.status AS last_order_status, last.bottles_count AS last_order_bottles,
                    -- An outbox hook is the bot's own echo when it carries the bot's external id or the id Chat2Desk
                    -- returned for one of its sends. The echo may overtake the send's response (then no id is stored
                    -- yet): a message with the text of one of the bot's unconfirmed sends counts as its own too.
                    CASE WHEN t.kind = 'outbox' THEN (
                        coalesce(t.external_id LIKE 'outbox-%', false)
                        OR EXISTS (SELECT 1 FROM outbox o WHERE o.channel = 'chat2desk' AND o.provider_message_id = t.message_id
                            AND o.conversation = t.client_id)
                        OR EXISTS (SELECT 1 FROM outbox o WHERE o.channel = 'chat2desk' AND o.conversation = t.client_id
                            AND o.payload->>'text' = t.text AND (o.status = 'pending'
                                OR (o.status = 'sent' AND o.provider_message_id IS NULL AND o.sent_at > now() - interval '1 hour')))
                    ) ELSE false END AS own_echo
                FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
                    WITH ORDINALITY AS t(message_id, client_id, kind, external_id, text, ordinal)
                LEFT JOIN LATERAL (
                    SELECT id, delivery_address, client_phone, status, bottles_count FROM orders
                    WHERE chat2desk_client_id = t.client_id AND source = 'chat2desk'
                    ORDER BY created_at DESC, id DESC LIMIT 1) AS last ON true
                ORDER BY t.ordinal
                """,
                [
                    PostgresArray.literal(messages.map(\.messageID)), clientIDs,
                    PostgresArray.literal(messages.map(\.kind.rawValue)), PostgresArray.literal(messages.map(\.externalID)),
                    PostgresArray.literal(messages.map { $0.kind == .outbox ? $0.text : nil }),
                ]),
        ])
        guard reads.count == 4, reads[3].count == messages.count else {
            throw PostgresError(code: .unexpectedResult, message: "shoro step reads")
        }
        let handled = try Self.messageLog.handled(in: reads[2])
        var storedDialogs: [String: String] = [:]
        for row in reads[1] { storedDialogs[try row.decode("client_id")] = try row.decodeIfPresent("dialog") }
        var writes = Writes()
        writes.teamUTCOffsetMinutes = self.handoff.teamUTCOffsetMinutes
        var results: [Result] = []
        var orderKeys: [String?] = []
        for (message, facts) in zip(messages, reads[3]) {
            var orderKey: String?
            results.append(
                try self.plan(
                    message, handled: handled.contains(message.messageID), storedDialog: storedDialogs[message.clientID],
                    facts: facts, now: now, writes: &writes, orderKey: &orderKey))
            orderKeys.append(orderKey)
        }
        let planned = writes.statements
        var statements = planned.all
        statements.append(PostgresStatement("COMMIT"))
        let committedThrough = statements.count
        let conversations = messages.map(\.clientID)
        if claimingOutbox { statements += Self.outbox.claimStatements(conversations: conversations) }
        let rows = try connection.pipeline(statements)
        guard rows.count == statements.count else { throw PostgresError(code: .unexpectedResult, message: "shoro step writes") }
        if let orderStatement = planned.orders {
            let created = Set(try rows[orderStatement].map { try $0.decode("idempotency_key", as: String.self) })
            for index in results.indices {
                if let key = orderKeys[index] { results[index].orderCreated = created.contains(key) }
            }
        }
        let fresh = Set(try planned.outbox.flatMap { try rows[$0].map { try $0.decode("id", as: Int64.self) } })
        let claims =
            claimingOutbox
            ? try Self.outbox.claims(conversations: conversations, results: rows[committedThrough...]).map { $0?.markingFresh(fresh) }
            : Array(repeating: nil, count: messages.count)
        return Array(zip(results, claims))
    }

    /// Runs one message through its dialog and adds what it causes to `writes`; `orderKey` is set when it creates an order.
    private func plan(
        _ message: Chat2DeskInbound, handled: Bool, storedDialog: String?, facts: PostgresRow, now: Double,
        writes: inout Writes, orderKey: inout String?
    ) throws -> Result {
        if handled {
            return Result(alreadyProcessed: true, stateBefore: "", stateAfter: "", replies: 0, orderCreated: false)
        }
        // The bot's own reply echoed back by the desk: nothing to do (and nothing to log: the outbox row is its record).
        if message.kind == .outbox, try facts.decode("own_echo", as: Bool.self) {
            return Result(alreadyProcessed: false, stateBefore: "echo", stateAfter: "echo", replies: 0, orderCreated: false)
        }
        let date = Date(timeIntervalSince1970: now)
        // A dialog stored by an older, incompatible version starts over instead of failing every message.
        var dialog = storedDialog.flatMap { try? JSONDecoder().decode(ShoroDialog.self, from: Data($0.utf8)) }
        if var stale = dialog, stale.isExpired(at: date, idleSeconds: self.dialogTTLSeconds) {
            for case .recordOutcome(let outcome) in stale.expire(at: date, idleSeconds: self.dialogTTLSeconds) {
                writes.outcomes.append(self.outcomeRow(outcome, clientID: message.clientID, dialogKey: stale.orderKey))
            }
            dialog = nil
        }
        let text = message.text.trimmingSpaces
        let intent = message.kind == .client ? self.texts.intent(of: text) : nil
        let lastOrder = try Self.lastOrder(facts)
        if dialog == nil || dialog!.isFinished {
            // "Where is my order?" between orders: its status, and no new dialog.
            if intent == .orderStatus, let lastOrder {
                let language = LanguageDetector.guess(text)?.language ?? .default
                let reply = ShoroReply.orderStatus(order: lastOrder.id, status: lastOrder.status, bottles: lastOrder.bottles)
                writes.outbox.append([
                    message.clientID, "chat2desk:\(message.messageID):0", self.payload(reply, language: language, to: message),
                    message.receivedAt > 0 ? String(message.receivedAt) : nil,
                ])
                writes.logs.append(
                    .init(clientID: message.clientID, messageID: message.messageID, text: message.text, dialogState: "orderStatus"))
                return Result(
                    alreadyProcessed: false, stateBefore: "orderStatus", stateAfter: "orderStatus", replies: 1, orderCreated: false)
            }
            // The desk handing back a conversation the bot has no open dialog for changes nothing.
            if message.kind == .closeDialog {
                writes.logs.append(
                    .init(clientID: message.clientID, messageID: message.messageID, text: message.text, dialogState: "close_dialog"))
                return Result(
                    alreadyProcessed: false, stateBefore: "close_dialog", stateAfter: "close_dialog", replies: 0, orderCreated: false)
            }
            let returning = try facts.decodeIfPresent("delivery_address", as: String.self).map { address in
                ShoroCustomer(lastAddress: address, lastPhone: try facts.decode("client_phone"))
            }
            dialog = ShoroDialog(id: message.messageID, startedAt: date, returning: returning)
        }
        var current = dialog!
        let stateBefore = current.state.rawValue
        let effects: [ShoroDialog.Effect]
        switch message.kind {
        case .outbox:
            // An operator answered the client in the desk: the bot steps aside.
            current.pause(.operatorReplied, at: date, seconds: self.handoff.pauseSeconds)
            effects = []
        case .closeDialog:
            current.handBack()
            effects = []
        case .client:
            let event: ShoroDialog.Event =
                if text.isEmpty && message.hasMedia {
                    .nonText
                } else if intent == .human {
                    .humanRequest(message.text, teamHours: self.handoff.teamHours, pauseSeconds: self.handoff.pauseSeconds)
                } else {
                    .text(message.text)
                }
            effects = current.handle(event, now: date)
        }

        var replies = 0
        // A reply to the customer carries the webhook's acceptance time (the reply-latency histogram); a note to the team does not.
        func addReply(_ payload: String, toCustomer: Bool = true) {
            writes.outbox.append([
                message.clientID, "chat2desk:\(message.messageID):\(replies)", payload,
                toCustomer && message.receivedAt > 0 ? String(message.receivedAt) : nil,
            ])
            replies += 1
        }
        for effect in effects {
            switch effect {
            case .reply(let reply):
                addReply(self.payload(reply, language: current.language, to: message))
            case .notifyTeam(.humanRequested):
                addReply(
                    self.payload(.teamHumanRequested, language: ShoroTexts.teamLanguage, to: message, type: "comment"), toCustomer: false)
            case .createOrder(let draft):
                let key = "chat2desk:\(message.clientID):\(draft.dialogID)"
                orderKey = key
                writes.orders.append([draft.phone, draft.address, String(draft.bottles), message.clientID, key])
                if self.handoff.dispatchAsComment {
                    // {order} and {time} are filled in by the statement that inserts it, once the order has its row.
                    let note = ShoroReply.teamNewOrder(
                        order: "{order}", address: draft.address, phone: KyrgyzPhone.display(draft.phone),
                        bottles: draft.bottles, time: "{time}")
                    writes.dispatch.append([
                        message.clientID, "dispatch:\(key)",
                        self.payload(note, language: ShoroTexts.teamLanguage, to: message, type: "comment"), key,
                    ])
                }
            case .recordOutcome(let outcome):
                writes.outcomes.append(self.outcomeRow(outcome, clientID: message.clientID, dialogKey: current.orderKey))
            }
        }
        writes.dialogs.append([message.clientID, String(decoding: try JSONEncoder().encode(current), as: UTF8.self)])
        let logged =
            switch message.kind {
            case .client: current.isPaused(at: date) && replies == 0 ? "paused:" + stateBefore : stateBefore
            case .outbox: "operator"
            case .closeDialog: "close_dialog"
            }
        writes.logs.append(.init(clientID: message.clientID, messageID: message.messageID, text: message.text, dialogState: logged))
        return Result(
            alreadyProcessed: false, stateBefore: stateBefore, stateAfter: current.state.rawValue, replies: replies,
            orderCreated: false)
    }

    /// A reply's outbox body in `language`; `type` "comment" makes it an internal note only the desk sees.
    private func payload(_ reply: ShoroReply, language: ShoroLanguage, to message: Chat2DeskInbound, type: String = "to_client") -> String {
        Chat2DeskClient.payload(
            clientID: message.clientID, text: self.texts.render(reply, language: language), transport: message.transport,
            channelID: message.channelID, type: type)
    }

    /// The client's last order from the step's reads.
    private static func lastOrder(_ facts: PostgresRow) throws -> (id: String, status: ShoroOrderStatus, bottles: Int)? {
        guard let id = try facts.decodeIfPresent("last_order_id", as: Int64.self),
            let status = ShoroOrderStatus(rawValue: try facts.decode("last_order_status"))
        else { return nil }
        return (String(id), status, try facts.decode("last_order_bottles"))
    }

    /// Records a failed attempt in message_logs (best effort, outside the step's transaction).
    public static func logFailure(_ message: Chat2DeskInbound, error: String, on connection: PostgresConnection) {
        Self.messageLog.recordFailure(
            .init(clientID: message.clientID, messageID: message.messageID, text: message.text, dialogState: nil),
            error: error, on: connection)
    }

    /// Rows one housekeeping transaction locks and handles.
    static let expiryPageSize = 200
    /// Pages per call: a larger backlog is left for the next run (a minute later), so one call stays short.
    static let expiryMaxPages = 50

    /// Dialogs idle past the TTL get their `expired` outcome recorded (the drain's housekeeping), so drop-off
    /// statistics do not wait for the customer's next message. Returns how many expired.
    ///
    /// Each row is read once per idle period: `idle_checked_at` keeps the `updated_at` of the version handled, so
    /// finished (or undecodable) dialogs are not read again until a step changes them, and however many of them
    /// pile up they never hide the idle ones. Pages run oldest first until none is left (at most `expiryMaxPages`).
    public func expireIdleDialogs(now: Double, on connection: PostgresConnection) throws -> Int {
        var expired = 0
        for _ in 0..<Self.expiryMaxPages {
            let page: (rows: Int, expired: Int, notYetIdle: Int)
            do {
                page = try self.expireIdlePage(now: now, on: connection)
            } catch {
                if connection.isHealthy { connection.rollbackIfInTransaction() }
                throw error
            }
            expired += page.expired
            // A dialog PostgreSQL's clock calls idle but the drainer's does not is left for a later run; the rows
            // after it are newer still, so this run is done.
            if page.rows < Self.expiryPageSize || page.notYetIdle > 0 { break }
        }
        return expired
    }

    /// One page in one transaction. The rows are locked with `SKIP LOCKED`: a row a step holds is skipped (the
    /// customer is writing, so it is not idle), and a row a step committed after this statement's snapshot is
    /// re-checked by PostgreSQL against its new `updated_at` once locked, so a step's commit is never overwritten
    /// with the version read before it.
    private func expireIdlePage(now: Double, on connection: PostgresConnection) throws -> (rows: Int, expired: Int, notYetIdle: Int) {
        let rows = try connection.pipeline([
            PostgresStatement("BEGIN"),
            PostgresStatement(
                """
                SELECT client_id, dialog::text AS dialog FROM shoro_dialogs
                WHERE updated_at < to_timestamp($1::double precision) AND idle_checked_at IS DISTINCT FROM updated_at
                ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED
                """, [String(now - self.dialogTTLSeconds), String(Self.expiryPageSize)]),
        ])[1]
        var writes = Writes()
        var checked = Writes.Columns(2)  // client id, the expired dialog's JSON (NULL: unchanged)
        var expired = 0
        var notYetIdle = 0
        for row in rows {
            let clientID: String = try row.decode("client_id")
            // A dialog stored by an older, incompatible version is only marked: the step starts over from it anyway.
            guard var dialog = try? JSONDecoder().decode(ShoroDialog.self, from: Data((try row.decode("dialog", as: String.self)).utf8)),
                !dialog.isFinished
            else {
                checked.append([clientID, nil])
                continue
            }
            let effects = dialog.expire(at: Date(timeIntervalSince1970: now), idleSeconds: self.dialogTTLSeconds)
            guard !effects.isEmpty else {
                notYetIdle += 1
                continue
            }
            for case .recordOutcome(let outcome) in effects {
                writes.outcomes.append(self.outcomeRow(outcome, clientID: clientID, dialogKey: dialog.orderKey))
            }
            checked.append([clientID, String(decoding: try JSONEncoder().encode(dialog), as: UTF8.self)])
            expired += 1
        }
        var statements = writes.statements.all
        if !checked.isEmpty {
            statements.append(
                PostgresStatement(
                    """
                    UPDATE shoro_dialogs AS d SET dialog = COALESCE(t.dialog::jsonb, d.dialog), idle_checked_at = d.updated_at
                    FROM unnest($1::text[], $2::text[]) AS t(client_id, dialog) WHERE d.client_id = t.client_id
                    """, checked.arrays))
        }
        try connection.pipeline(statements + [PostgresStatement("COMMIT")])
        return (rows.count, expired, notYetIdle)
    }

    private func outcomeRow(_ outcome: DialogOutcome, clientID: String, dialogKey: String) -> [String?] {
        [
            clientID, dialogKey, outcome.kind.rawValue, outcome.completed ? "true" : "false",
            outcome.completed ? nil : outcome.dropoffState, String(outcome.totalMessages), String(outcome.durationSeconds),
        ]
    }
}
