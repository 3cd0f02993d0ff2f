import Curl
import Foundation
import Platform
import Postgres
import Redis
import TestSupport
import Testing

/// The /ops/ dashboard through the stack's nginx in headless Chromium (Debian's `chromium`): every page loads behind
/// basic auth, shows the figures the database and Redis hold, and a replay pressed on a dead letter (the POST the
/// page's form sends, with its CSRF token) takes the letter off the list. Screenshots go to var/screenshots/.
///
/// It reads the stack's shared database, so `make test` runs it alone, after the parallel suites (scripts/run-tests.sh).
@Suite("Ops dashboard in headless Chromium", .stack, .serialized)
struct OpsDashboardTests {
    static func opsURL(_ path: String, credentials: Bool = true) throws -> String {
        let base = try TestStack.nginxURL()
        guard credentials else { return base + path }
        let user = try TestStack.variable("STACK_OPS_USER"), password = try TestStack.variable("STACK_OPS_PASSWORD")
        return base.replacingOccurrences(of: "http://", with: "http://\(user):\(password)@") + path
    }

    /// The page's DOM after Chromium loaded it.
    static func dumpDOM(_ path: String) throws -> String {
        let result = try self.chromium(["--dump-dom", try self.opsURL(path)])
        try #require(result.status == 0, "chromium: \(result.stderr.suffix(2000))")
        return result.stdout
    }

    /// A full-page screenshot under var/screenshots/ (for a person to look at).
    static func screenshot(_ path: String, name: String) throws {
        let directory = try TestStack.root() + "/var/screenshots"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let file = "\(directory)/\(name).png"
        try? FileManager.default.removeItem(atPath: file)
        let result = try self.chromium(["--screenshot=\(file)", "--window-size=1280,1500", "--hide-scrollbars", try self.opsURL(path)])
        #expect(result.status == 0 && FileManager.default.fileExists(atPath: file), "screenshot \(name): \(result.stderr.suffix(1000))")
    }

    static func chromium(_ arguments: [String]) throws -> ProcessResult {
        let profile = try TestStack.temporaryDirectory("chromium")
        defer { TestStack.removeDirectory(profile) }
        // --no-sandbox: the tests may run as root (CI), where Chromium's sandbox refuses to start.
        return try TestStack.run(
            "/usr/bin/chromium",
            ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(profile)"] + arguments,
            environment: TestStack.childEnvironment(["HOME": profile]), timeout: 90)
    }

    /// The cell texts of each row of the table `id` (header row excluded).
    static func rows(_ html: String, table id: String) -> [[String]] {
        guard let start = html.range(of: "<table id=\"\(id)\""),
            let end = html.range(of: "</table>", range: start.upperBound..<html.endIndex)
        else { return [] }
        let table = String(html[start.upperBound..<end.lowerBound])
        return table.components(separatedBy: "<tr").dropFirst().compactMap { row in
            let cells = row.matches(of: /<td[^>]*>(.*?)<\/td>/.dotMatchesNewlines()).map { String($0.1).replacing(/<[^>]+>/, with: "") }
            return cells.isEmpty ? nil : cells
        }
    }

    static func count(_ sql: String, _ parameters: [String?] = []) throws -> String {
        try TestStack.postgres().queryOne(sql, parameters)[0] ?? ""
    }

    @Test func everyPageShowsTheDatabaseFiguresAndReplayTakesALetterOffTheList() throws {
        let redis = try TestStack.redis()
        let postgres = try TestStack.postgres()
        let marker = TestStack.randomHex(8)
        // Seed: a dead letter, an order, a lead, handled messages in the last hour.
        try DeadLetterSeed.deadLetter(
            payload: "{\"text\":\"<script>alert(1)</script> \(marker)\"}", conversation: "ops-\(marker)",
            queue: InboundQueue.shoro, on: redis)
        let orderID = try postgres.queryOne(
            """
            INSERT INTO orders (client_phone, delivery_address, bottles_count, chat2desk_client_id, idempotency_key)
            VALUES ('+996555000111', 'ул. Ops <b>\(marker)</b>', 4, $1, $1) RETURNING id
            """, ["ops-\(marker)"])["id"]!
        let leadID = try postgres.queryOne(
            "INSERT INTO leads (name, email, source) VALUES ($1, $2, 'tilda') RETURNING id", ["Ops \(marker)", "ops.\(marker)@example.com"])[
                "id"]!
        for minute in [2, 5, 5, 30] {
            try postgres.query(
                "INSERT INTO message_logs (source, client_id, message_id, dialog_state, success, \"timestamp\") VALUES ('chat2desk', $1, gen_random_uuid()::text, 'initial', true, now() - make_interval(mins => $2::int))",
                ["ops-\(marker)", String(minute)])
        }

        // Without the password nginx refuses, and so does a POST without the CSRF token.
        #expect(try TestStack.nginx("GET", "/ops/").status == 401)

        // Overview.
        let overview = try Self.dumpDOM("/ops/")
        let queues = Self.rows(overview, table: "queues")
        let shoro = try #require(queues.first { $0.first == "shoro" }, "\(overview.prefix(3000))")
        #expect(shoro[1] == (try redis.command(["GET", "q:{shoro}:depth"]).string ?? "0"))
        #expect(shoro[4] == String(try redis.command(["LLEN", "q:{shoro}:dead"]).integer ?? -1))
        let jobs = try #require(Self.rows(overview, table: "jobs").first)
        #expect(jobs[0] == (try Self.count("SELECT count(*) FROM scheduled_jobs WHERE status = 'pending'")))
        #expect(jobs[3] == (try Self.count("SELECT count(*) FROM scheduled_jobs WHERE status = 'dead'")))
        let rates = try #require(Self.rows(overview, table: "rates").first { $0.first == "shoro" })
        #expect(
            rates[2]
                == (try Self.count(
                    "SELECT count(*) FROM message_logs WHERE source = 'chat2desk' AND success AND \"timestamp\" > now() - interval '1 hour'"
                )))
        #expect(overview.contains("<svg id=\"throughput\""))
        let total = try #require(overview.firstMatch(of: /data-bot="shoro" data-total="(\d+)"/)?.1)
        #expect(String(total) == rates[2], "the chart's hour holds the same messages as the rate")
        #expect(Self.rows(overview, table: "last-runs").map { $0[0] }.contains("cron-drain"))
        try Self.screenshot("/ops/", name: "ops-overview")

        // Dead letters: the seeded one is listed, escaped, with a replay form carrying a CSRF token.
        let dead = try Self.dumpDOM("/ops/dead")
        let letters = Self.rows(dead, table: "dead-letters")
        #expect(letters.count == (try Self.deadLetterCount(redis: redis, postgres: postgres)), "every dead letter is listed")
        let row = try #require(letters.first { $0[2] == "ops-\(marker)" }, "\(dead.prefix(3000))")
        let letterID = row[0]
        #expect(!dead.contains("<script>alert(1)</script>") && dead.contains("&lt;script&gt;alert(1)&lt;/script&gt; \(marker)"))
        let token = try #require(dead.firstMatch(of: /name="csrf" value="([0-9]+\.[0-9a-f]{64})"/)?.1)
        try Self.screenshot("/ops/dead", name: "ops-dead-letters")

        // A POST without the token, or with a forged one, changes nothing.
        for form in ["id=\(Self.formEscape(letterID))", "id=\(Self.formEscape(letterID))&csrf=1.\(String(repeating: "0", count: 64))"] {
            #expect(try Self.post("/ops/dead/replay", form).status == 403)
        }
        #expect(try redis.command(["LLEN", "q:{shoro}:dead"]).integer ?? 0 >= 1)
        // Press replay: 303 back to the list, which no longer has the letter; the message is first in its conversation.
        let replay = try Self.post("/ops/dead/replay", "id=\(Self.formEscape(letterID))&csrf=\(token)&action=replay")
        #expect(replay.status == 303, "\(replay.text)")
        #expect(replay.headers["location"]?.hasPrefix("/ops/dead?done=") == true, "\(replay.headers)")
        let after = try Self.dumpDOM("/ops/dead?done=" + Self.formEscape("\(letterID): replayed"))
        #expect(!Self.rows(after, table: "dead-letters").contains { $0.first == letterID })
        #expect(after.contains("\(letterID): replayed"))
        #expect(try redis.command(["LINDEX", "q:{shoro}:c:ops-\(marker)", "0"]).string?.contains(marker) == true)
        try Self.screenshot("/ops/dead?done=" + Self.formEscape("\(letterID): replayed"), name: "ops-dead-letters-after-replay")
        // Pressed again (a second operator with the old page): nothing more happens.
        let twice = try Self.post("/ops/dead/replay", "id=\(Self.formEscape(letterID))&csrf=\(token)")
        #expect(twice.headers["location"]?.contains("not%20found") == true, "\(twice.headers)")
        #expect(try redis.command(["LLEN", "q:{shoro}:c:ops-\(marker)"]).integer == 1)
        _ = try redis.command(["DEL", "q:{shoro}:c:ops-\(marker)"])
        _ = try redis.command(["ZREM", "q:{shoro}:sched", "ops-\(marker)"])
        _ = try redis.command(["DECR", "q:{shoro}:depth"])

        // Orders and leads: the seeded ones, phone and email masked, markup escaped.
        let recent = try Self.dumpDOM("/ops/recent")
        let order = try #require(Self.rows(recent, table: "orders").first { $0[0] == orderID })
        #expect(order[3] == "+996*****0111" && order[4] == "4")
        #expect(recent.contains("ул. Ops &lt;b&gt;\(marker)&lt;/b&gt;"))
        let lead = try #require(Self.rows(recent, table: "leads").first { $0[0] == leadID })
        #expect(lead[4] == "Ops \(marker)" && lead[6] == "o***@example.com")
        #expect(Self.rows(recent, table: "orders").count == min(20, Int(try Self.count("SELECT count(*) FROM orders"))!))
        try Self.screenshot("/ops/recent", name: "ops-orders-and-leads")

        // Funnels: the first step counts every Chat2Desk client with a message in the window; leads likewise.
        let funnels = try Self.dumpDOM("/ops/funnels?since=7d")
        let started = try #require(Self.rows(funnels, table: "shoro-funnel").first { $0[0] == "started" })
        #expect(
            started[1]
                == (try Self.count(
                    "SELECT count(DISTINCT client_id) FROM message_logs WHERE source = 'chat2desk' AND \"timestamp\" >= now() - interval '7 days'"
                )))
        let ordered = try #require(Self.rows(funnels, table: "shoro-funnel").first { $0[0] == "ordered" })
        #expect(Int(ordered[1])! <= Int(started[1])!)
        let leads = try #require(Self.rows(funnels, table: "academy-funnel").first { $0[0] == "leads" })
        #expect(leads[1] == (try Self.count("SELECT count(*) FROM leads WHERE created_at >= now() - interval '7 days'")))
        try Self.screenshot("/ops/funnels?since=7d", name: "ops-funnels")
        #expect(try Self.get("/ops/funnels?since=yesterday-ish").status == 400)
    }

    static func deadLetterCount(redis: RedisConnection, postgres: PostgresConnection) throws -> Int {
        let inbound = try ["shoro", "academy"].reduce(0) { $0 + Int(try redis.command(["LLEN", "q:{\($1)}:dead"]).integer ?? 0) }
        let rows = try postgres.queryOne(
            "SELECT (SELECT count(*) FROM outbox WHERE status = 'dead') + (SELECT count(*) FROM scheduled_jobs WHERE status = 'dead') AS n")
        return inbound + Int(rows["n"]!)!
    }

    static func formEscape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }

    static func authorization() throws -> (name: String, value: String) {
        let credentials = try TestStack.variable("STACK_OPS_USER") + ":" + TestStack.variable("STACK_OPS_PASSWORD")
        return ("Authorization", "Basic " + Data(credentials.utf8).base64EncodedString())
    }

    static func post(_ path: String, _ form: String) throws -> HTTPResponse {
        try TestStack.nginx(
            "POST", path, headers: [try self.authorization(), ("Content-Type", "application/x-www-form-urlencoded")], body: Array(form.utf8)
        )
    }

    static func get(_ path: String) throws -> HTTPResponse {
        try TestStack.nginx("GET", path, headers: [try self.authorization()])
    }
}
