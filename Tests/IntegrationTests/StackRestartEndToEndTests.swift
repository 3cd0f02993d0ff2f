import Academy
import Curl
import Foundation
import Glibc
import Logging
import Platform
import Postgres
import Redis
import TestSupport
import Testing

/// Restarts of the stack's shared Redis and PostgreSQL, so these tests must not share the stack with any other:
/// `make test` skips this suite in its main run and then runs it alone (scripts/run-tests.sh). Other suites
/// running while Redis or PostgreSQL is down would see 503s and failed steps unrelated to what they test.
@Suite("Stack restarts (run alone)", .serialized, .stack)
struct StackRestartEndToEndTests {
    /// 200 webhooks from 4 threads; Redis is killed with SIGKILL after the first 60 answers and restarted once
    /// 503s were seen. Every message answered 200 must be in the queue (Redis AOF, appendfsync always), and
    /// after retrying the 503s (as Chat2Desk does) every message must be there exactly once and be processed.
    @Test func redisRestartLosesNoAcknowledgedWebhook() throws {
        let e2e = try E2EContext("redis-restart")
        defer { e2e.finish() }
        let threads = 4
        let clientsPerThread = 10
        let messagesPerClient = 5
        let total = threads * clientsPerThread * messagesPerClient
        let clients = (0..<(threads * clientsPerThread)).map { _ in TestStack.randomID() }
        struct Outcome {
            var client: Int64
            var messageID: Int64
            var text: String
            var status: Int
        }
        let outcomes = Locked([Outcome]())
        let restarted = Locked(false)
        let webhookURL = e2e.nginxURL + "/webhook/chat2desk?token=" + e2e.secret
        let texts = ["Здравствуйте", "ул. Токтогула 12", "0700 111 222", "3", "нет"]

        let done = Locked(false)
        let posting = Thread {
            runInParallel(threads) { thread in
                let http = TestStack.httpClient()
                var sent = 0
                for step in 0..<messagesPerClient {
                    for slot in 0..<clientsPerThread {
                        // Keep the last third for after the restart, so the run has a before, a during and an after.
                        if sent == total / threads * 2 / 3 {
                            let deadline = now() + 30
                            while !restarted.snapshot && now() < deadline { usleep(5_000) }
                        }
                        let client = clients[thread * clientsPerThread + slot]
                        let messageID = TestStack.randomID()
                        let body = e2eWebhookBody(clientID: client, messageID: messageID, text: texts[step])
                        let status =
                            (try? http.perform(
                                HTTPRequest(
                                    method: "POST", url: webhookURL, headers: [("Content-Type", "application/json")],
                                    body: Array(body.utf8), connectTimeout: 2, totalTimeout: 5)))?.status ?? -1
                        outcomes.with { $0.append(Outcome(client: client, messageID: messageID, text: texts[step], status: status)) }
                        sent += 1
                        usleep(10_000)
                    }
                }
            }
            done.with { $0 = true }
        }
        posting.start()

        var killedAt = 0
        do {
            try e2e.wait("60 answers before the kill") { outcomes.snapshot.count >= 60 }
            killedAt = outcomes.snapshot.count
            try e2e.stackScript("redis-kill")
            defer {
                // Whatever happens, Redis comes back for the rest of the suite and the posters are released.
                if !restarted.snapshot {
                    do { try e2e.stackScript("redis-start") } catch { Issue.record("redis-start failed: \(error)") }
                    restarted.with { $0 = true }
                }
            }
            // Until a few webhooks were refused, or every poster waits at its barrier.
            let beforeBarrier = threads * (total / threads * 2 / 3)
            try e2e.wait("503s while Redis is down") {
                let now = outcomes.snapshot
                return now.filter { $0.status == 503 }.count >= 4 || now.count >= beforeBarrier
            }
            try e2e.stackScript("redis-start")
            restarted.with { $0 = true }
        } catch {
            restarted.with { $0 = true }
            _ = try? e2e.wait("the posters to finish", timeout: 30) { done.snapshot }
            throw error
        }
        try e2e.wait("all \(total) answers", timeout: 30) { done.snapshot }

        let first = outcomes.snapshot
        let statuses = Dictionary(grouping: first, by: \.status).mapValues(\.count)
        print("e2e redis restart: kill after \(killedAt) answers; statuses \(statuses)")
        #expect(first.count == total)
        #expect((statuses[503] ?? 0) > 0, "Redis was down: some webhooks must have been refused")
        #expect(Set(statuses.keys).isSubset(of: [200, 503]), "only 200 and 503 are acceptable answers: \(statuses)")
        #expect((statuses[200] ?? 0) > killedAt / 2, "most webhooks before the kill and after the restart were accepted")

        // Nothing acknowledged was lost (no drainer has run yet: the queue holds everything).
        let redis = try RedisConnection(e2e.redisConfiguration)
        func queuedIDs() throws -> [String: Int] {
            var counts: [String: Int] = [:]
            for client in clients {
                for payload in (try redis.command(["LRANGE", "q:{shoro}:c:\(client)", "0", "-1"]).array ?? []).compactMap(\.string) {
                    let id = (try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any])?["message_id"] as? String
                    counts[id ?? "?", default: 0] += 1
                }
            }
            return counts
        }
        let acknowledged = first.filter { $0.status == 200 }.map { String($0.messageID) }
        var queued = try queuedIDs()
        let lost = acknowledged.filter { queued[$0] == nil }
        #expect(lost.isEmpty, "\(lost.count) webhooks answered 200 are not in the queue")

        // Chat2Desk retries what was refused: afterwards every message is queued exactly once.
        let http = TestStack.httpClient()
        for outcome in first where outcome.status != 200 {
            let response = try e2e.postWebhook(
                e2eWebhookBody(clientID: outcome.client, messageID: outcome.messageID, text: outcome.text), http: http)
            #expect(response.status == 200, "retry: \(response.status) \(response.text)")
        }
        queued = try queuedIDs()
        let all = first.map { String($0.messageID) }
        let exactlyOnce = all.allSatisfy { queued[$0] == 1 }
        #expect(exactlyOnce, "missing: \(all.filter { queued[$0] == nil }.count), twice: \(queued.filter { $0.value > 1 }.count)")
        guard lost.isEmpty, exactlyOnce else { return }

        // And a drainer processes every one of them.
        try e2e.startDrain()
        try e2e.startDrain()
        let list = "{" + all.joined(separator: ",") + "}"
        try e2e.wait("all \(total) messages processed", timeout: 30) {
            try e2e.db.queryOne(
                "SELECT count(*) AS n FROM message_logs WHERE source = 'chat2desk' AND success AND message_id = ANY($1::text[])", [list]
            )["n"] == String(total)
        }
    }

    /// Item 1 of the faults issue: PostgreSQL is stopped for 120 s while drainers run and 20 customers keep
    /// writing (two messages each during the outage, acknowledged by the webhook since Redis is up). An outage is
    /// not poison: no message is dead-lettered, no attempt is spent, and once PostgreSQL is back every customer
    /// gets every reply, in order. (Before, each of these messages spent its 3 attempts within 7 s and went to the
    /// dead letters.)
    @Test func aPostgreSQLOutageOf120SecondsDeadLettersNothingAndEveryCustomerIsAnswered() throws {
        let e2e = try E2EContext("pg-outage")
        defer { e2e.finish() }
        let outage = Double(TestStack.environment["TEST_PG_OUTAGE_SECONDS"] ?? "") ?? 120
        let settings = ["QUEUE_OUTAGE_BACKOFF_MAX_SECONDS": "15", "QUEUE_LEASE_SECONDS": "10"]
        try e2e.startDrain(settings, seconds: outage + 90, concurrency: 3)
        try e2e.startDrain(settings, seconds: outage + 90, concurrency: 3)
        let script = e2e.texts.fullOrder()
        let clients = (0..<20).map { _ in TestStack.randomID() }
        for client in clients { try e2e.say(client, script[0].text) }
        try e2e.wait("the greetings before the outage", timeout: 20) {
            try clients.allSatisfy { try e2e.delivered($0).count >= script[0].replies.count }
        }

        try e2e.stackScript("pg-stop")
        let stoppedAt = now()
        var restarted = false
        defer { if !restarted { _ = try? e2e.stackScript("pg-start") } }
        // The customers write on through the outage: their answers are acknowledged and wait in Redis.
        for step in 1...2 {
            for client in clients { try e2e.say(client, script[step].text) }
            usleep(useconds_t(outage / 3 * 1_000_000))
        }
        usleep(useconds_t(max(0, stoppedAt + outage - now()) * 1_000_000))
        let dead = {
            try E2EContext.queue.deadLetters(on: e2e.redis).filter { letter in clients.contains { String($0) == letter.conversation } }
        }
        #expect(try dead().isEmpty, "nothing is dead-lettered while PostgreSQL is down")
        #expect(try clients.allSatisfy { try e2e.delivered($0).count == script[0].replies.count }, "no reply without PostgreSQL")
        try e2e.stackScript("pg-start")
        restarted = true
        let backAt = now()
        try e2e.reconnectDatabase()

        let expected = script[0...2].flatMap(\.replies)
        try e2e.wait("every customer answered after the outage", timeout: 60) {
            try clients.allSatisfy { try e2e.delivered($0).count >= expected.count }
        }
        print(
            "e2e postgres outage: \(Int(backAt - stoppedAt)) s down; all \(clients.count) customers answered \(String(format: "%.1f", now() - backAt)) s after it came back"
        )
        for client in clients {
            #expect(try e2e.deliveredTexts(client) == expected, "client \(client): every reply once, in order")
        }
        #expect(try dead().isEmpty)
        let logs = try clients.map { try e2e.messageLogs($0) }
        #expect(logs.allSatisfy { $0.count == 3 && $0.allSatisfy(\.success) }, "each customer's three messages were stepped once")
    }

    /// Everything restarts twice: after a Tilda form was acknowledged (it is only in Redis) and after the drain
    /// scheduled its email (the job is only in PostgreSQL). Nothing is lost and the email goes out once.
    @Test func aLeadAndItsEmailSurviveRestartsOfRedisAndPostgreSQL() throws {
        let e2e = try E2EContext("restart-everything")
        defer { e2e.finish() }
        let email = "restart-\(TestStack.randomHex(8))@example.com"
        let form =
            "Name=Anna&Email=\(email.replacingOccurrences(of: "@", with: "%40"))&Phone=%2B79991234567&tranid=\(TestStack.randomHex(10))"
        let submitted = Date().timeIntervalSince1970
        let accepted = try e2e.http.perform(
            HTTPRequest(
                method: "POST", url: e2e.nginxURL + "/webhook/tilda?token=" + (try TestStack.variable("TILDA_WEBHOOK_SECRET")),
                headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Array(form.utf8), connectTimeout: 2,
                totalTimeout: 10))
        #expect(accepted.status == 200, "\(accepted.text)")

        func restartEverything() throws {
            try e2e.stackScript("redis-kill")
            try e2e.stackScript("pg-stop")
            try e2e.stackScript("redis-start")
            try e2e.stackScript("pg-start")
        }
        func lead() throws -> Lead? { try LeadStore().find(email: email, phone: nil, on: try TestStack.postgres()) }

        try restartEverything()
        let drain = try e2e.start("cron-drain", ["--bot", "academy", "--seconds", "30", "--concurrency", "2"], overrides: [:])
        try e2e.wait("the lead from the form acknowledged before the restart") { try lead() != nil }
        let stored = try #require(try lead())
        e2e.stop(drain)

        try restartEverything()
        var environment = TestStack.environment
        environment["HTTP_TIMEOUT_SECONDS"] = "3"
        let config = try AppConfig(environment: environment)
        let jobs = try AcademyDueJobs.forTests(config, at: submitted + 1800 + 60, logger: Logger(label: "test-restart"))
        try jobs.runDue()
        try jobs.runDue()

        let resend = try TestStack.variable("STACK_FAKE_RESEND_URL")
        let response = try e2e.http.perform(HTTPRequest(url: resend + "/_fake/emails?to=\(email)", totalTimeout: 5))
        let emails = (try JSONSerialization.jsonObject(with: Data(response.body)) as? [[String: Any]]) ?? []
        #expect(emails.map { $0["idempotency_key"] as? String } == ["email1/\(stored.id)"], "email 1, once, after both restarts")
        #expect(
            try TestStack.postgres().query("SELECT status FROM scheduled_jobs WHERE id = $1", ["email1/\(stored.id)"]).first?["status"]
                == "done")
    }
}
