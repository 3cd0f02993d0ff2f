import Academy
import BotCore
import Curl
import Foundation
import Glibc
import Logging
import Messages
import Platform
import Postgres
import Redis
import Storage
import TestSupport
import Testing

/// The two Academy end-to-end suites run one after the other. They share the academy queue and the delayed-jobs
/// table: run together, one suite's drainer takes the other's updates with the wrong fakes configured, and one
/// suite's due-jobs clock, moved days ahead, fires the other's jobs early.
@Suite("Academy end to end", .stack, .serialized)
enum AcademyEndToEnd {}

extension AcademyEndToEnd {
    /// Tilda → nginx → fcgi-tilda → Redis → cron-drain → PostgreSQL, then the email chain run by the
    /// due-jobs runner with a moved clock against the fake Resend and fake Telegram.
    @Suite("Academy leads end to end", .serialized)
    final class AcademyLeadsEndToEndTests {
        let nginxURL: String
        let secret: String
        let resendURL: String
        let telegramURL: String
        let managerChatID: String
        let db: PostgresConnection
        let redis: RedisConnection
        let http = TestStack.httpClient()
        let config: AppConfig
        var processes: [ChildProcess] = []

        init() throws {
            self.nginxURL = try TestStack.variable("STACK_NGINX_URL")
            self.secret = try TestStack.variable("TILDA_WEBHOOK_SECRET")
            self.resendURL = try TestStack.variable("STACK_FAKE_RESEND_URL")
            self.telegramURL = try TestStack.variable("STACK_FAKE_TELEGRAM_URL")
            self.managerChatID = try TestStack.variable("MANAGER_TELEGRAM_CHAT_ID")
            self.db = try TestStack.postgres()
            self.redis = try TestStack.redis()
            var environment = TestStack.environment
            environment.merge(["HTTP_TIMEOUT_SECONDS": "3", "HTTP_CONNECT_TIMEOUT_SECONDS": "1", "JOBS_BACKOFF_SECONDS": "60"]) { _, new in
                new
            }
            self.config = try AppConfig(environment: environment)
            try self.control(self.resendURL, "DELETE", "/_fake/faults")
        }

        deinit {
            for process in self.processes where process.isRunning {
                process.signal(SIGTERM)
                if !process.waitForExit(timeout: 10) { process.signal(SIGKILL) }
            }
        }

        // MARK: Helpers

        func postTilda(
            _ body: String, contentType: String = "application/x-www-form-urlencoded", query: String? = nil,
            headers: [(name: String, value: String)] = [], method: String = "POST"
        ) throws -> HTTPResponse {
            let suffix = query ?? "?token=\(self.secret)"
            return try self.http.perform(
                HTTPRequest(
                    method: method, url: self.nginxURL + "/webhook/tilda" + suffix,
                    headers: [("Content-Type", contentType)] + headers, body: Array(body.utf8), connectTimeout: 2, totalTimeout: 10))
        }

        @discardableResult
        func control(_ base: String, _ method: String, _ path: String, json: String? = nil) throws -> Any {
            let response = try self.http.perform(
                HTTPRequest(
                    method: method, url: base + path, headers: json == nil ? [] : [("Content-Type", "application/json")],
                    body: json.map { Array($0.utf8) }, connectTimeout: 2, totalTimeout: 10))
            guard response.status == 200 else { throw StackError("fake \(method) \(path): HTTP \(response.status) \(response.text)") }
            return try JSONSerialization.jsonObject(with: Data(response.body), options: [.fragmentsAllowed])
        }

        /// Emails the fake Resend really "sent" to `address`.
        func emails(to address: String) throws -> [[String: Any]] {
            (try self.control(self.resendURL, "GET", "/_fake/emails?to=\(address)") as? [[String: Any]]) ?? []
        }

        /// Texts the fake Telegram got for the manager's chat that mention `leadID`.
        func managerAlerts(leadID: Int64) throws -> [String] {
            let messages =
                (try self.control(self.telegramURL, "GET", "/_fake/messages?chat_id=\(self.managerChatID)") as? [[String: Any]]) ?? []
            return messages.compactMap { $0["text"] as? String }.filter { $0.contains("#\(leadID)") }
        }

        /// What Tilda submissions leave behind: their de-duplication keys in Redis and their history lines. Unlike the
        /// academy queue's depth or the lead count, other suites (the Telegram bot's) never change these.
        func tildaFootprint() throws -> [Int] {
            [
                try self.redis.command(["KEYS", "q:{academy}:seen:tilda:*"]).array?.count ?? 0,
                try self.db.queryOne("SELECT count(*) AS n FROM lead_events WHERE event = 'TILDA_SUBMITTED'").decode("n", as: Int.self),
            ]
        }

        /// Starts `cron-drain --bot academy` (stopped in deinit).
        func startDrain() throws {
            let stackDirectory = try TestStack.variable("STACK_DIR")
            let process = try ChildProcess(
                try TestStack.variable("STACK_BIN_DIR") + "/cron-drain", ["--bot", "academy", "--seconds", "60", "--concurrency", "2"],
                environment: [
                    "PATH": TestStack.environment["PATH"] ?? "/usr/bin:/bin", "CHATBOTS_ENV_FILE": stackDirectory + "/stack.env",
                ],
                name: "academy-drain", logPath: stackDirectory + "/log/e2e-academy-drain-\(TestStack.randomID() % 100_000).log")
            self.processes.append(process)
        }

        /// Polls until `condition` holds (or fails the test after `timeout` seconds).
        func eventually(_ what: String, timeout: Double = 15, _ condition: () throws -> Bool) throws {
            try waitUntil(what, timeout: timeout, diagnostics: { self.processes.map { $0.logTail(10) }.joined(separator: "\n") }, condition)
        }

        func lead(email: String) throws -> Lead? {
            try LeadStore().find(email: email, phone: nil, on: self.db)
        }

        /// Runs every due job as if the time were `now` (the runner under test, with an injected clock).
        @discardableResult
        func runDueJobs(at now: Double) throws -> Int {
            try AcademyDueJobs.forTests(self.config, at: now).runDue()
        }

        func jobStatus(_ id: String) throws -> String? {
            try self.db.query("SELECT status FROM scheduled_jobs WHERE id = $1", [id]).first?["status"]
        }

        func uniqueEmail(_ label: String) -> String { "\(label)-\(TestStack.randomHex(8))@example.com" }

        /// Submits a form, drains it, and returns the stored lead and the time it was recorded.
        func submitLead(
            email: String, name: String = "Анна", phone: String = "+7 (999) \(Int.random(in: 100...999))-11-22"
        ) throws -> (Lead, Double) {
            let before = Date().timeIntervalSince1970
            let body =
                "Name=\(name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")&Email=\(email.replacingOccurrences(of: "@", with: "%40"))"
                + "&Phone=\(phone.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")&child_age=8&tranid=\(TestStack.randomHex(10))&formid=form1"
            let response = try self.postTilda(body)
            #expect(response.status == 200, "\(response.text)")
            if self.processes.isEmpty { try self.startDrain() }
            try self.eventually("the lead \(email)") { try self.lead(email: email) != nil }
            return (try #require(try self.lead(email: email)), before)
        }

        // MARK: Tests

        @Test func theTestProbeGets200AndStoresNothing() throws {
            let footprint = try self.tildaFootprint()
            for (body, contentType) in [("test=test", "application/x-www-form-urlencoded"), (#"{"test":"test"}"#, "application/json")] {
                let response = try self.postTilda(body, contentType: contentType, query: "")
                #expect(response.status == 200, "\(response.text)")
                #expect(response.text.contains("\"test\":true"))
            }
            #expect(try self.tildaFootprint() == footprint)
        }

        @Test func badRequestsGetAClearErrorAndQueueNothing() throws {
            let footprint = try self.tildaFootprint()
            let form = "Name=X&Email=x%40example.com&tranid=\(TestStack.randomHex())"
            let cases: [(HTTPResponse, Int, String)] = [
                (try self.postTilda(form, query: ""), 401, "unauthorized"),
                (try self.postTilda(form, query: "?token=wrong-secret-0123456789"), 403, "forbidden"),
                (try self.postTilda(form + "&secret=wrong", query: ""), 403, "forbidden"),
                (try self.postTilda(#"{"Email":"#, contentType: "application/json"), 400, "bad_request"),
                (try self.postTilda("Name=X&tranid=1"), 400, "bad_request"),
                (try self.postTilda("<x/>", contentType: "text/xml"), 415, "unsupported_media_type"),
                (try self.postTilda("", method: "GET"), 405, "method_not_allowed"),
                (try self.postTilda(form + "&Comment=" + String(repeating: "a", count: 100 * 1024)), 413, "payload_too_large"),
            ]
            for (response, status, code) in cases {
                #expect(response.status == status, "\(response.text)")
                #expect(response.text.contains("\"error\":\"\(code)\""), "\(response.text)")
            }
            #expect(try self.tildaFootprint() == footprint)
        }

        @Test func theSecretIsAcceptedFromAHeaderOrAFormFieldAndJSONWorks() throws {
            let headerEmail = self.uniqueEmail("header")
            let viaHeader = try self.postTilda(
                #"{"Name":"Olga","Email":"\#(headerEmail)","tranid":"\#(TestStack.randomHex())"}"#, contentType: "application/json",
                query: "", headers: [("X-Tilda-Secret", self.secret)])
            #expect(viaHeader.status == 200, "\(viaHeader.text)")
            let fieldEmail = self.uniqueEmail("field")
            let viaField = try self.postTilda(
                "Email=\(fieldEmail.replacingOccurrences(of: "@", with: "%40"))&tranid=\(TestStack.randomHex())&secret=\(self.secret)",
                query: "")
            #expect(viaField.status == 200, "\(viaField.text)")
            try self.startDrain()
            try self.eventually("both leads") { try self.lead(email: headerEmail) != nil && self.lead(email: fieldEmail) != nil }
            #expect(try self.lead(email: headerEmail)?.name == "Olga")
        }

        @Test func theSameTranidThreeTimesMakesOneLead() throws {
            let email = self.uniqueEmail("dup")
            let tranid = TestStack.randomHex()
            let form = "Name=Ivan&Email=\(email.replacingOccurrences(of: "@", with: "%40"))&tranid=\(tranid)"
            var answers: [String] = []
            for _ in 0..<3 { answers.append(try self.postTilda(form).text) }
            #expect(answers[0].contains("\"queued\":true"))
            #expect(answers[1].contains("\"duplicate\":true") && answers[2].contains("\"duplicate\":true"))
            // A replay that bypasses the webhook's de-duplication (e.g. botctl dlq replay) is still harmless.
            let submission = TildaSubmission(
                tranid: tranid, formid: nil, name: "Ivan", phone: nil, email: email, childAge: nil, rejectedFields: [:],
                receivedAt: Date().timeIntervalSince1970)
            let json = String(decoding: try JSONEncoder().encode(AcademyQueueMessage.tilda(submission)), as: UTF8.self)
            try InboundQueue.academy.enqueue(json, conversation: submission.conversation, dedupeID: nil, dedupeSeconds: 0, on: self.redis)
            try self.startDrain()
            try self.eventually("the lead") { try self.lead(email: email) != nil }
            let lead = try #require(try self.lead(email: email))
            try self.eventually("the replay to be handled") {
                try self.db.queryOne("SELECT count(*) AS n FROM leads WHERE email = $1", [email]).decode("n", as: Int.self) == 1
                    && (try self.redis.command(["LLEN", "q:{academy}:c:" + submission.conversation]).integer) == 0
            }
            let events = try LeadStore().events(leadID: lead.id, on: self.db).map(\.event)
            #expect(events == ["TILDA_SUBMITTED"])
            #expect(try self.jobStatus("email1/\(lead.id)") == "pending")
        }

        @Test func aSecondFormFromTheSameParentUpdatesTheLeadAndKeepsOneChain() throws {
            let email = self.uniqueEmail("again")
            let phone = "+7 (999) \(Int.random(in: 100...999))-22-33"
            let (lead, _) = try self.submitLead(email: email, phone: phone)
            // Same phone, no email this time (a short form), a new child age: the same lead.
            let form =
                "Phone=\(phone.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")&child_age=10&tranid=\(TestStack.randomHex())"
            #expect(try self.postTilda(form).status == 200)
            try self.eventually("the second submission") {
                try LeadStore().events(leadID: lead.id, on: self.db).count == 2
            }
            let updated = try #require(try self.lead(email: email))
            #expect(updated.id == lead.id && updated.childAge == "10" && updated.name == "Анна")
            // Another parent sharing the phone but with their own email is a new lead; the known email is kept.
            let other = self.uniqueEmail("sibling")
            let (second, _) = try self.submitLead(email: other, phone: phone)
            #expect(second.id != lead.id)
            #expect(try self.lead(email: email)?.id == lead.id)
            #expect(
                try self.db.queryOne("SELECT count(*) AS n FROM scheduled_jobs WHERE id = $1", ["email1/\(lead.id)"]).decode(
                    "n", as: Int.self) == 1)
        }

        @Test func aLeadGetsEmail1ThenEmail2ThenTheManagerIsAlerted() throws {
            let email = self.uniqueEmail("chain")
            let (lead, submitted) = try self.submitLead(email: email)
            #expect(lead.source == "tilda" && lead.status == "NEW" && lead.phone?.hasPrefix("+7999") == true && lead.name == "Анна")
            let email1At = try self.db.queryOne(
                "SELECT extract(epoch FROM run_at)::double precision AS at FROM scheduled_jobs WHERE id = $1", ["email1/\(lead.id)"]
            ).decode("at", as: Double.self)
            #expect(abs(email1At - (submitted + 1800)) < 30, "email 1 is due 30 minutes after the form")

            try self.runDueJobs(at: email1At - 60)
            #expect(try self.emails(to: email).isEmpty, "nothing before its time")

            try self.runDueJobs(at: email1At + 1)
            let first = try self.emails(to: email)
            #expect(first.count == 1)
            #expect(first.first?["idempotency_key"] as? String == "email1/\(lead.id)")
            #expect(lead.linkToken.count == 32)
            #expect(
                (first.first?["text"] as? String)?.contains("start=lead_\(lead.linkToken)") == true, "the deep link identifies the lead")
            #expect((first.first?["html"] as? String)?.contains("Анна") == true)
            #expect(try self.lead(email: email)?.email1Sent == true)
            #expect(try self.jobStatus("email1/\(lead.id)") == "done")

            try self.runDueJobs(at: email1At + 1 + 86400 - 60)
            #expect(try self.emails(to: email).count == 1, "email 2 waits 24 h after email 1")
            try self.runDueJobs(at: email1At + 2 + 86400)
            #expect(try self.emails(to: email).map { $0["idempotency_key"] as? String } == ["email1/\(lead.id)", "email2/\(lead.id)"])

            try self.runDueJobs(at: email1At + 3 + 2 * 86400)
            #expect(try self.managerAlerts(leadID: lead.id).count == 1)
            let managerEmails = try self.emails(to: try TestStack.variable("MANAGER_EMAIL")).filter {
                ($0["subject"] as? String)?.contains("#\(lead.id)") == true
            }
            #expect(managerEmails.count == 1)
            let stored = try #require(try self.lead(email: email))
            #expect(stored.email2Sent && stored.callAlertSent)
            let events = try LeadStore().events(leadID: lead.id, on: self.db).map(\.event)
            #expect(
                events.filter { $0.hasSuffix("_SENT") } == [
                    "EMAIL_1_SENT", "EMAIL_2_SENT", "CALL_ALERT_TELEGRAM_SENT", "CALL_ALERT_EMAIL_SENT", "CALL_ALERT_SENT",
                ])
            // Running again much later sends nothing more.
            try self.runDueJobs(at: email1At + 10 * 86400)
            #expect(try self.emails(to: email).count == 2)
            #expect(try self.managerAlerts(leadID: lead.id).count == 1)
        }

        @Test func aLeadWhoOpensTheBotAfterEmail1NeverGetsEmail2() throws {
            let email = self.uniqueEmail("activated")
            let (lead, submitted) = try self.submitLead(email: email)
            try self.runDueJobs(at: submitted + 1800 + 60)
            #expect(try self.emails(to: email).count == 1)
            // The Telegram bot's registration sets this (Academy bot issue); here the column is set directly.
            try self.db.query("UPDATE leads SET bot_activated = true WHERE id = $1", [String(lead.id)])
            try self.runDueJobs(at: submitted + 1800 + 86400 + 120)
            try self.runDueJobs(at: submitted + 1800 + 3 * 86400)
            #expect(try self.emails(to: email).count == 1, "no email 2 after the bot was opened")
            #expect(try self.managerAlerts(leadID: lead.id).isEmpty)
            #expect(try self.jobStatus("email2/\(lead.id)") == "cancelled")
            #expect(try self.jobStatus("call_alert/\(lead.id)") == nil)
        }

        /// Email 2's first POST fails (500) and the parent registers in the Telegram bot during the 1 s wait before the
        /// retry: the retry must not go out.
        @Test func aLeadWhoRegistersDuringEmail2sRetryNeverGetsIt() throws {
            let email = self.uniqueEmail("retry-activated")
            let (lead, submitted) = try self.submitLead(email: email)
            try self.runDueJobs(at: submitted + 1800 + 60)
            #expect(try self.emails(to: email).count == 1)
            try self.control(
                self.resendURL, "POST", "/_fake/faults",
                json: #"[{"route":"/emails","method":"POST","mode":"status","status":500,"times":1}]"#)
            let email2Posts = {
                ((try self.control(self.resendURL, "GET", "/_fake/calls?path=/emails&method=POST") as? [[String: Any]]) ?? [])
                    .filter { ($0["body"] as? String)?.contains(email) == true && ($0["fault"] as? String) != nil }.count
            }
            let due = submitted + 1800 + 86400 + 120
            let config = self.config
            let failures = CapturedLogs()
            let run = DispatchGroup()
            DispatchQueue.global().async(group: run) {
                do {
                    try AcademyDueJobs.forTests(config, at: due).runDue()
                } catch { failures.append("\(error)") }
            }
            try self.eventually("email 2's failed first POST", timeout: 10) { try email2Posts() == 1 }
            // The parent opens the bot now: the writes the bot's registration step commits (lead activated, chain cancelled).
            try self.db.transaction { connection in
                try LeadStore().recordBotRegistration(
                    tgID: TestStack.randomID(), chatID: TestStack.randomID(), mergeInto: lead.id, deepLinkToken: nil, name: "Анна",
                    phone: lead.phone ?? "+79990001122", email: email, language: "ru", now: due, on: connection)
                try DelayedJobs().cancel(ids: EmailChainStep.allJobIDs(leadID: lead.id), reason: "bot_activated", now: due, on: connection)
            }
            #expect(run.wait(timeout: .now() + 30) == .success)
            #expect(failures.all.isEmpty)
            #expect(try self.emails(to: email).count == 1, "no email 2 once the parent opened the bot")
            #expect(try self.lead(email: email)?.email2Sent == false)
            #expect(try self.jobStatus("email2/\(lead.id)") == "cancelled")
            #expect(try self.jobStatus("call_alert/\(lead.id)") == nil)
        }

        @Test func resend429Then500StillSendsOneEmailWithOneIdempotencyKey() throws {
            let email = self.uniqueEmail("flaky")
            let (lead, submitted) = try self.submitLead(email: email)
            try self.control(
                self.resendURL, "POST", "/_fake/faults",
                json: """
                    [{"route":"/emails","method":"POST","mode":"retry_after","seconds":1,"times":1},
                     {"route":"/emails","method":"POST","mode":"status","status":500,"times":1}]
                    """)
            try self.runDueJobs(at: submitted + 1800 + 60)
            #expect(try self.emails(to: email).count == 1)
            let calls = (try self.control(self.resendURL, "GET", "/_fake/calls?path=/emails&method=POST") as? [[String: Any]]) ?? []
            let keys = calls.filter { ($0["body"] as? String)?.contains(email) == true }.compactMap { call -> String? in
                let headers = call["headers"] as? [String: Any] ?? [:]
                return headers.first { $0.key.lowercased() == "idempotency-key" }?.value as? String
            }
            #expect(keys == Array(repeating: "email1/\(lead.id)", count: 3), "429, 500, then success, all with the same key")
            #expect(try self.lead(email: email)?.email1Sent == true)
        }

        @Test func aTransientFailureIsRetriedByTheNextRunWithTheSameKey() throws {
            let email = self.uniqueEmail("outage")
            let (lead, submitted) = try self.submitLead(email: email)
            try self.control(
                self.resendURL, "POST", "/_fake/faults",
                json: #"[{"route":"/emails","method":"POST","mode":"status","status":503,"times":3}]"#)
            let due = submitted + 1800 + 60
            try self.runDueJobs(at: due)
            #expect(try self.emails(to: email).isEmpty)
            #expect(try self.jobStatus("email1/\(lead.id)") == "pending")
            try self.runDueJobs(at: due + 30)
            #expect(try self.emails(to: email).isEmpty, "the retry waits for its backoff")
            try self.runDueJobs(at: due + 61)
            #expect(try self.emails(to: email).count == 1)
            #expect(try self.jobStatus("email1/\(lead.id)") == "done")
        }
    }
}
