import ArgumentParser
import Platform
import Postgres
import Storage

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
