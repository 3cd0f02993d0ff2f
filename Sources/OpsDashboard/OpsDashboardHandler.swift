import BotCore
import Edge
public import FastCGI
import Operations
public import Platform
import Postgres
import Redis
public import Storage

/// The operators' dashboard under `/ops/` (the Bull Board / Sidekiq Web of this project): overview, dead letters
/// with replay and discard buttons, the latest orders and leads, both funnels. Server-rendered HTML without scripts or
/// external assets; every value is escaped. nginx puts it behind basic auth and an allow-list; the state-changing
/// POSTs also need a CSRF token (`CSRFToken`).
public struct OpsDashboardHandler {
    private let model: OperationsReadModel
    private let box: DeadLetterBox
    private let csrf: CSRFToken
    private let redis: LazyRedis
    private let postgres: LazyPostgres
    private let clock: Clock

    public init(config: AppConfig, settings: OpsSettings, redis: LazyRedis, postgres: LazyPostgres, clock: Clock = .system) {
        let bots = OperatedBot.enabled(in: config)
        self.model = OperationsReadModel(bots: bots)
        self.box = DeadLetterBox(queues: bots.map(\.queue))
        self.csrf = CSRFToken(secret: settings.csrfSecret)
        self.redis = redis
        self.postgres = postgres
        self.clock = clock
    }

    public func handle(_ request: FastCGIRequest) -> FastCGIResponse {
        let path = request.path
        do {
            switch (request.method, path) {
            case ("GET", "/ops/"), ("GET", "/ops"), ("HEAD", "/ops/"): return try self.overview()
            case ("GET", "/ops/dead"): return try self.deadLetters(notice: request.queryParameters["done"])
            case ("GET", "/ops/recent"): return try self.recent()
            case ("GET", "/ops/funnels"): return try self.funnels(since: request.queryParameters["since"] ?? "7d")
            case ("POST", "/ops/dead/replay"): return try self.act(request, replay: true)
            case ("POST", "/ops/dead/discard"): return try self.act(request, replay: false)
            case (_, "/ops/dead/replay"), (_, "/ops/dead/discard"): return HTTPEdge.methodNotAllowed(allowed: ["POST"])
            case ("GET", _): return Page.error(404, "No such page", "There is no page \(path).")
            default: return HTTPEdge.methodNotAllowed(allowed: ["GET", "HEAD"])
            }
        } catch {
            return Page.error(503, "Unavailable", "Redis or PostgreSQL did not answer: \(error)")
        }
    }

    // MARK: Pages

    private func overview() throws -> FastCGIResponse {
        let now = self.clock.now()
        let (status, throughput) = try self.redis.with { redis in
            try self.postgres.with { postgres in
                (try self.model.status(now: now, redis: redis, postgres: postgres), try self.model.throughput(now: now, postgres: postgres))
            }
        }
        var html = Page.table(
            "Queues", ["queue", "depth", "conversations", "oldest wait", "dead letters"],
            status.queues.map {
                [$0.queue, "\($0.depth)", "\($0.conversations)", OperationsFormat.duration($0.oldestWaitSeconds), "\($0.deadLetters)"]
            },
            id: "queues")
        html += Page.table(
            "Rates", ["bot", "handled 5 min", "handled 1 h", "failed 1 h", "replies 5 min", "replies 1 h"],
            status.rates.map {
                [
                    $0.bot, "\($0.handledLast5Minutes)", "\($0.handledLastHour)", "\($0.failedLastHour)",
                    "\($0.repliesSentLast5Minutes)", "\($0.repliesSentLastHour)",
                ]
            }, id: "rates")
        html += "<h2>Messages handled per minute, last hour</h2>" + Chart.svg(throughput)
        html += Page.table(
            "Outbox", ["channel", "pending", "overdue", "dead", "oldest pending"],
            status.outbox.map {
                [$0.channel, "\($0.pending)", "\($0.overdue)", "\($0.dead)", OperationsFormat.duration($0.oldestPendingSeconds)]
            },
            id: "outbox", empty: "Nothing pending or dead.")
        html += Page.table(
            "Delayed jobs", ["pending", "due", "overdue", "dead"],
            [["\(status.jobs.pending)", "\(status.jobs.due)", "\(status.jobs.overdue)", "\(status.jobs.dead)"]], id: "jobs")
        html += Page.table(
            "Last runs", ["job", "last run", "at"],
            status.lastRuns.map { [$0.job, OperationsFormat.lastRun($0), $0.at.map(OperationsFormat.instant) ?? "-"] }, id: "last-runs")
        return Page.html("Overview", html, generatedAt: now)
    }

    private func deadLetters(notice: String?) throws -> FastCGIResponse {
        let now = self.clock.now()
        let letters = try self.redis.with { redis in try self.postgres.with { try self.box.list(redis: redis, postgres: $0) } }
        let token = Page.escape(self.csrf.issue(now: now))
        var html = notice.map { "<p class=\"notice\" id=\"notice\">\(Page.escape($0))</p>" } ?? ""
        html +=
            "<p id=\"dead-count\">\(letters.count) dead letter(s): inbound messages, outbound sends and delayed jobs. "
            + "Replay puts one back (an inbound message at the front of its conversation); discard gives it up.</p>"
        if letters.isEmpty {
            html += "<p id=\"dead-letters\">No dead letters.</p>"
        } else {
            html +=
                "<table id=\"dead-letters\"><tr><th>id</th><th>origin</th><th>conversation</th><th>attempts</th>"
                + "<th>failed</th><th>error</th><th>payload</th><th></th></tr>"
            for letter in letters {
                let id = Page.escape(letter.id)
                html +=
                    "<tr data-id=\"\(id)\"><td><code>\(id)</code></td><td>\(Page.escape(letter.origin))</td>"
                    + "<td>\(Page.escape(letter.conversation))</td><td class=\"n\">\(letter.attempts)</td>"
                    + "<td class=\"time\">\(letter.failedAt.map(OperationsFormat.instant) ?? "-")</td>"
                    + "<td class=\"error\">\(Page.escape(String(letter.error.prefix(300))))</td>"
                    + "<td><details><summary>show</summary><pre>\(Page.escape(letter.payload))</pre></details></td><td class=\"actions\">"
                for (action, label) in [("replay", "Replay"), ("discard", "Discard")] {
                    html +=
                        "<form method=\"post\" action=\"/ops/dead/\(action)\"><input type=\"hidden\" name=\"id\" value=\"\(id)\">"
                        + "<input type=\"hidden\" name=\"csrf\" value=\"\(token)\"><button name=\"action\" value=\"\(action)\">\(label)</button></form>"
                }
                html += "</td></tr>"
            }
            html += "</table>"
        }
        return Page.html("Dead letters", html, generatedAt: now)
    }

    private func recent() throws -> FastCGIResponse {
        let (orders, leads) = try self.postgres.with { postgres in
            (try self.model.recentOrders(postgres: postgres), try self.model.recentLeads(postgres: postgres))
        }
        var html = Page.table(
            "Latest orders", ["id", "created", "status", "phone", "bottles", "address"],
            orders.map { ["\($0.id)", OperationsFormat.instant($0.createdAt), $0.status, $0.phone, "\($0.bottles)", $0.address] },
            id: "orders", empty: "No orders yet.")
        html += Page.table(
            "Latest leads", ["id", "created", "source", "status", "name", "phone", "email", "opened the bot"],
            leads.map {
                [
                    "\($0.id)", OperationsFormat.instant($0.createdAt), $0.source, $0.status, $0.name, $0.phone, $0.email,
                    $0.botActivated ? "yes" : "no",
                ]
            }, id: "leads", empty: "No leads yet.")
        return Page.html("Orders and leads", html, generatedAt: self.clock.now())
    }

    private func funnels(since text: String) throws -> FastCGIResponse {
        let now = self.clock.now()
        guard let since = OperationsFormat.parseSince(text, now: now) else {
            return Page.error(400, "Bad window", "since=\(text): expected 30m, 24h, 7d or a date YYYY-MM-DD.")
        }
        let (shoro, academy) = try self.postgres.with { postgres in
            (try ShoroFunnel.read(since: since, until: now, on: postgres), try AcademyFunnel.read(since: since, until: now, on: postgres))
        }
        var html =
            "<form method=\"get\" action=\"/ops/funnels\" class=\"window\">Since <input name=\"since\" value=\"\(Page.escape(text))\" size=\"10\">"
            + " <button>Show</button> <span class=\"muted\">from \(OperationsFormat.instant(since))</span></form>"
        html +=
            "<h2>Shoro</h2><p id=\"shoro-summary\">Conversion <b>\(OperationsFormat.percent(shoro.conversion))</b>, median time to order <b>"
            + (shoro.medianSecondsToOrder.map(OperationsFormat.duration) ?? "-") + "</b></p>"
        let top = max(1, shoro.steps.first?.conversations ?? 1)
        html += Page.table(
            nil, ["step", "conversations", "drop-off", ""],
            shoro.steps.map { [$0.step, "\($0.conversations)", "\($0.dropOff)", Chart.bar($0.conversations, of: top)] },
            id: "shoro-funnel", raw: [3])
        html += Page.table(
            nil, ["day", "started", "ordered"], shoro.days.map { [$0.day, "\($0.started)", "\($0.ordered)"] }, id: "shoro-days",
            empty: "No conversations in this window.")
        html +=
            "<p>Outcomes: \(Page.escape(OperationsFormat.pairs(shoro.outcomes))). Stopped at: \(Page.escape(OperationsFormat.pairs(shoro.dropOffStates))).</p>"
        html += "<h2>Academy</h2>"
        let steps: [(String, Int)] = [
            ("leads", academy.leads), ("opened the bot", academy.openedBot), ("registered", academy.registered),
            ("booked", academy.booked), ("reminded", academy.reminded),
        ]
        html += Page.table(
            nil, ["step", "leads", ""], steps.map { [$0.0, "\($0.1)", Chart.bar($0.1, of: max(1, academy.leads))] }, id: "academy-funnel",
            raw: [2])
        html += "<p id=\"academy-sources\">By source: \(Page.escape(OperationsFormat.pairs(academy.leadsBySource)))</p>"
        html += Page.table(
            "Email chain", ["step", "done", "cancelled", "dead", "pending"],
            academy.emailChain.map { step in [step.step] + ["done", "cancelled", "dead", "pending"].map { "\(step.outcomes[$0] ?? 0)" } },
            id: "email-chain")
        return Page.html("Funnels", html, generatedAt: now)
    }

    // MARK: Actions

    /// Replays or discards one dead letter (the form's `id`), then sends the browser back to the list (303).
    private func act(_ request: FastCGIRequest, replay: Bool) throws -> FastCGIResponse {
        guard request.contentType.lowercased().hasPrefix("application/x-www-form-urlencoded") else {
            return HTTPEdge.error(415, "unsupported_media_type", "send the form urlencoded")
        }
        let form = FormURLEncoding.decode(String(decoding: request.body, as: UTF8.self))
        let now = self.clock.now()
        guard let token = form["csrf"], self.csrf.isValid(token, now: now) else {
            return HTTPEdge.error(403, "csrf", "missing or expired form token: reload the page and try again")
        }
        guard let id = form["id"], !id.isEmpty else { return HTTPEdge.error(400, "missing_id", "the form has no dead letter id") }
        let outcomes: [DeadLetterBox.Outcome]
        do {
            outcomes = try self.redis.with { redis in
                try self.postgres.with { postgres in
                    try self.box.apply(replay ? .replay : .discard, to: [id], dryRun: false, now: now, redis: redis, postgres: postgres)
                }
            }
        } catch let error as DeadLetterBox.UnknownID {
            return HTTPEdge.error(400, "bad_id", error.description)
        }
        let result = outcomes.first?.result.rawValue.replacing("_", with: " ") ?? "not found"
        let notice = "\(id): \(result)"
        return FastCGIResponse(
            status: 303, headers: ["Location": "/ops/dead?done=" + Page.queryEscape(notice), "Cache-Control": "no-store"])
    }
}
