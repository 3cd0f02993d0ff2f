public import Postgres

/// The Shoro and Academy funnels over a window `[since, until)`, for `botctl stats` and the dashboard.
///
/// Shoro: a conversation is a Chat2Desk client with a message in the window; it *reached* a step when one of its
/// messages was handled in that step's waiting state or a later one (`message_logs.dialog_state` is the state a
/// message was handled in), so a returning customer who reuses the last address still counts as past the address
/// step. *Ordered* is an order of that client created in the window after its first message there. How dialogs ended comes from `dialog_outcomes`.
public struct ShoroFunnel: Codable, Sendable, Equatable {
    public struct Step: Codable, Sendable, Equatable {
        public let step: String
        public let conversations: Int
        /// Conversations that reached the previous step but not this one (0 for the first step).
        public let dropOff: Int
    }

    public struct Day: Codable, Sendable, Equatable {
        public let day: String
        public let started: Int
        public let ordered: Int
    }

    public let steps: [Step]
    /// ordered / started, 0 when nothing started.
    public let conversion: Double
    public let medianSecondsToOrder: Double?
    public let days: [Day]
    /// `dialog_outcomes` in the window: outcome → count, and where the dialogs that did not complete stopped.
    public let outcomes: [String: Int]
    public let dropOffStates: [String: Int]

    /// Each step's rank: the waiting states that mean the customer answered that step's question.
    static let stepStates: [(step: String, states: [String])] = [
        ("started", []),
        ("address", ["waitingReuse", "waitingAddress"]),
        ("phone", ["waitingPhone"]),
        ("bottles", ["waitingBottles"]),
        ("confirmation", ["waitingConfirmation", "waitingCorrection"]),
    ]

    public static func read(since: Double, until: Double, on postgres: PostgresConnection) throws -> ShoroFunnel {
        let rankCases = Self.stepStates.enumerated().filter { !$0.element.states.isEmpty }.map { rank, step in
            "WHEN dialog_state IN (" + step.states.map { "'\($0)'" }.joined(separator: ", ") + ") THEN \(rank)"
        }.joined(separator: " ")
        let window = [String(since), String(until)]
        let conversations = try postgres.query(
            """
            WITH m AS (
                SELECT client_id, "timestamp", CASE \(rankCases) ELSE 0 END AS rank FROM message_logs
                WHERE source = 'chat2desk' AND "timestamp" >= to_timestamp($1::float8) AND "timestamp" < to_timestamp($2::float8)),
            c AS (SELECT client_id, min("timestamp") AS started_at, max(rank) AS rank FROM m GROUP BY client_id)
            SELECT to_char(c.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, c.rank,
                   extract(epoch FROM o.ordered_at - c.started_at)::float8 AS to_order
            FROM c LEFT JOIN LATERAL (
                -- The first order since the conversation started: an older order of a returning customer is not this one's.
                SELECT min(created_at) AS ordered_at FROM orders
                WHERE source = 'chat2desk' AND chat2desk_client_id = c.client_id
                  AND created_at >= c.started_at AND created_at < to_timestamp($2::float8)) AS o ON true
            """, window)
        var reached = [Int](repeating: 0, count: Self.stepStates.count + 1)
        var days: [String: (started: Int, ordered: Int)] = [:]
        var toOrder: [Double] = []
        for row in conversations {
            let rank: Int = try row.decode("rank")
            let ordered: Double? = try row.decodeIfPresent("to_order")
            let top = ordered == nil ? rank : Self.stepStates.count
            for index in 0...top { reached[index] += 1 }
            let day: String = try row.decode("day")
            days[day, default: (0, 0)].started += 1
            if let ordered {
                days[day, default: (0, 0)].ordered += 1
                toOrder.append(ordered)
            }
        }
        let names = Self.stepStates.map(\.step) + ["ordered"]
        let steps = names.enumerated().map { index, name in
            Step(step: name, conversations: reached[index], dropOff: index == 0 ? 0 : reached[index - 1] - reached[index])
        }
        var outcomes: [String: Int] = [:]
        var dropOffStates: [String: Int] = [:]
        for row in try postgres.query(
            """
            SELECT outcome, coalesce(dropoff_state, '') AS state, count(*) AS n FROM dialog_outcomes
            WHERE source = 'chat2desk' AND created_at >= to_timestamp($1::float8) AND created_at < to_timestamp($2::float8)
            GROUP BY 1, 2
            """, window)
        {
            let count: Int = try row.decode("n")
            outcomes[try row.decode("outcome"), default: 0] += count
            let state: String = try row.decode("state")
            if try row.decode("outcome") != "completed" && !state.isEmpty { dropOffStates[state, default: 0] += count }
        }
        return ShoroFunnel(
            steps: steps, conversion: reached[0] == 0 ? 0 : Double(reached[names.count - 1]) / Double(reached[0]),
            medianSecondsToOrder: median(toOrder),
            days: days.keys.sorted().map { Day(day: $0, started: days[$0]!.started, ordered: days[$0]!.ordered) },
            outcomes: outcomes, dropOffStates: dropOffStates)
    }
}

/// The Academy funnel for the leads created in `[since, until)`: where they came from, how many opened the bot,
/// registered, booked a lesson and were reminded, and how their email chains ended.
public struct AcademyFunnel: Codable, Sendable, Equatable {
    public struct ChainStep: Codable, Sendable, Equatable {
        public let step: String
        /// scheduled_jobs status → count: done (sent), cancelled (the parent opened the bot), dead, pending.
        public let outcomes: [String: Int]
    }

    public let leads: Int
    public let leadsBySource: [String: Int]
    public let openedBot: Int
    public let registered: Int
    public let booked: Int
    public let reminded: Int
    public let emailChain: [ChainStep]

    public static let chainSteps = ["email1", "email2", "call_alert"]

    public static func read(since: Double, until: Double, on postgres: PostgresConnection) throws -> AcademyFunnel {
        let window = [String(since), String(until)]
        var bySource: [String: Int] = [:]
        var totals = (leads: 0, opened: 0, registered: 0, booked: 0, reminded: 0)
        for row in try postgres.query(
            """
            SELECT l.source, count(*) AS leads,
                   count(*) FILTER (WHERE l.bot_activated OR l.tg_id IS NOT NULL) AS opened,
                   count(*) FILTER (WHERE l.status <> 'NEW') AS registered,
                   count(*) FILTER (WHERE EXISTS (SELECT 1 FROM lead_events e WHERE e.lead_id = l.id AND e.event = 'LESSON_SCHEDULED')) AS booked,
                   count(*) FILTER (WHERE l.tg_id IS NOT NULL AND EXISTS (
                       SELECT 1 FROM scheduled_jobs j WHERE j.status = 'done' AND j.kind IN ('remind24h', 'remind5h')
                       AND j.id LIKE j.kind || '/' || l.tg_id || '/%')) AS reminded
            FROM leads l WHERE l.created_at >= to_timestamp($1::float8) AND l.created_at < to_timestamp($2::float8)
            GROUP BY l.source
            """, window)
        {
            let leads: Int = try row.decode("leads")
            bySource[try row.decode("source")] = leads
            totals.leads += leads
            totals.opened += try row.decode("opened")
            totals.registered += try row.decode("registered")
            totals.booked += try row.decode("booked")
            totals.reminded += try row.decode("reminded")
        }
        var chain: [String: [String: Int]] = [:]
        for row in try postgres.query(
            """
            SELECT j.kind, j.status, count(*) AS n FROM scheduled_jobs j
            JOIN leads l ON j.id = j.kind || '/' || l.id
            WHERE j.kind IN ('email1', 'email2', 'call_alert')
              AND l.created_at >= to_timestamp($1::float8) AND l.created_at < to_timestamp($2::float8)
            GROUP BY 1, 2
            """, window)
        {
            chain[try row.decode("kind"), default: [:]][try row.decode("status")] = try row.decode("n")
        }
        return AcademyFunnel(
            leads: totals.leads, leadsBySource: bySource, openedBot: totals.opened, registered: totals.registered,
            booked: totals.booked, reminded: totals.reminded,
            emailChain: Self.chainSteps.map { ChainStep(step: $0, outcomes: chain[$0] ?? [:]) })
    }
}

/// The median of `values` (nil when empty).
func median(_ values: [Double]) -> Double? {
    guard !values.isEmpty else { return nil }
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}
