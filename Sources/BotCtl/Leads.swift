import Academy
import ArgumentParser
import FoundationEssentials
import Messages
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
                print(
                    fields.map { field in
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
