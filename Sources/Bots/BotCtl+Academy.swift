import Edge
import ArgumentParser
import Curl
import FoundationEssentials
import Platform
import Postgres
import Storage

/// `botctl leads`: the latest Academy leads with their email-chain status.
struct Leads: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the latest Academy leads and where their email chain is.")

    @Flag(help: "One JSON object per line.") var json = false
    @Option(help: "How many leads.") var limit = 20

    func run() throws {
        let (config, _) = ProcessSetup.load("botctl")
        let connection = try PostgresConnection(conninfo: config.infrastructure.databaseURL)
        let leads = try LeadStore().list(limit: self.limit, on: connection)
        let jobs = DelayedJobs()
        for lead in leads.reversed() {
            let pending = try jobs.list(status: "pending", on: connection).filter { $0.id.hasSuffix("/\(lead.id)") }
            let next = pending.min { $0.runAt < $1.runAt }.map { "\($0.kind) at \(Self.format($0.runAt))" } ?? "none"
            let chain = [lead.email1Sent ? "email1" : nil, lead.email2Sent ? "email2" : nil, lead.callAlertSent ? "call_alert" : nil]
                .compactMap { $0 }.joined(separator: ",")
            let fields: [(String, JSONValue)] = [
                ("id", .integer(lead.id)), ("created_at", .string(Self.format(lead.createdAt))), ("name", .string(lead.name)),
                ("phone", .string(lead.phone ?? "")), ("email", .string(lead.email ?? "")), ("source", .string(lead.source)),
                ("status", .string(lead.status)), ("bot_activated", .bool(lead.botActivated)),
                ("sent", .string(chain)), ("next", .string(next)),
            ]
            if self.json {
                print(JSONValue.object(Dictionary(uniqueKeysWithValues: fields)).serialized)
            } else {
                print(fields.map { field in
                    switch field.1 {
                    case .string(let text): text.isEmpty ? "-" : text
                    default: field.1.serialized
                    }
                }.joined(separator: " | "))
            }
        }
        if leads.isEmpty && !self.json { print("no leads yet") }
    }

    static func format(_ epoch: Double) -> String {
        Date(timeIntervalSince1970: epoch).formatted(.iso8601)
    }
}

/// `botctl jobs`: delayed jobs (email chain, alerts, reminders).
struct Jobs: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List delayed jobs.")

    @Option(help: "Only this status: pending, done, cancelled or dead.") var status: String?
    @Option(help: "How many jobs.") var limit = 50

    func run() throws {
        let (config, _) = ProcessSetup.load("botctl")
        let connection = try PostgresConnection(conninfo: config.infrastructure.databaseURL)
        let jobs = try DelayedJobs().list(status: self.status, limit: self.limit, on: connection)
        for job in jobs {
            print("\(job.id) | \(job.kind) | \(Leads.format(job.runAt)) | \(job.status) | \(job.attempts) | \(job.lastError ?? "")")
        }
        if jobs.isEmpty { print("no jobs") }
    }
}

/// `botctl telegram set-webhook|webhook-info`: register this service with Telegram and see Telegram's view.
struct Telegram: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Register the Academy bot's webhook with Telegram.", subcommands: [SetWebhook.self, WebhookInfo.self])

    struct SetWebhook: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-webhook", abstract: "setWebhook to PUBLIC_BASE_URL/webhook/tg with the secret token.")
        @Option(help: "Override the webhook URL (default PUBLIC_BASE_URL/webhook/tg).") var url: String?

        func run() throws {
            let (config, _) = ProcessSetup.load("botctl")
            guard let academy = config.academy else { throw ValidationError("ACADEMY_ENABLED is false") }
            let target = self.url ?? config.infrastructure.publicBaseURL + "/webhook/tg"
            let result = Telegram.client(config, academy).call("setWebhook", [
                "url": .string(target), "secret_token": .string(academy.telegramWebhookSecret),
                "allowed_updates": .array([.string("message"), .string("callback_query")]), "max_connections": .integer(20),
            ])
            guard case .ok = result else { throw ValidationError("Telegram refused setWebhook: \(result)") }
            print("webhook set: \(target) (updates: message, callback_query; secret token sent in a header)")
        }
    }

    struct WebhookInfo: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "webhook-info", abstract: "Show getWebhookInfo.")

        func run() throws {
            let (config, _) = ProcessSetup.load("botctl")
            guard let academy = config.academy else { throw ValidationError("ACADEMY_ENABLED is false") }
            let result = Telegram.client(config, academy).call("getWebhookInfo", [:])
            guard case .ok(let info) = result else { throw ValidationError("getWebhookInfo failed: \(result)") }
            print(info.serialized)
        }
    }

    static func client(_ config: AppConfig, _ academy: AppConfig.Academy) -> TelegramClient {
        HTTPClient.globalInit()
        return TelegramClient(
            baseURL: academy.telegramAPIURL, token: academy.telegramToken, timeout: config.infrastructure.httpTimeout,
            connectTimeout: config.infrastructure.httpConnectTimeout, http: HTTPClient(), redis: LazyRedis(config.infrastructure.redis))
    }
}
