import Academy
import ArgumentParser
import Clients
import Curl
import Logging
import Platform
import Storage
import Synchronization

/// cron-sheets-sync: started every minute by cron (flock-guarded); mirrors new and changed leads to Google Sheets.
/// Exit 0 when done (or nothing to do), 75 when Google or PostgreSQL is unavailable (the next run catches up),
/// 1 when Google refuses the requests (key, sharing, tab), 78 on bad configuration.
struct SheetsSyncJob: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cron-sheets-sync", abstract: "Mirror new and changed leads to Google Sheets.")

    @Option(help: "Seconds to keep pushing batches (default DRAIN_RUN_SECONDS).") var seconds: Double?

    func run() throws {
        let (config, logger) = ProcessSetup.load("cron-sheets-sync")
        guard let google = config.google else {
            logger.info("sheets sync disabled: GOOGLE_SERVICE_ACCOUNT_FILE is not set")
            return
        }
        let spreadsheetID: String
        do {
            spreadsheetID = try google.requireSpreadsheetID()
        } catch {
            logger.critical("cron-sheets-sync: \(error)")
            throw ExitCode(ExitStatus.configuration.rawValue)
        }
        let deadline = monotonicSeconds() + (self.seconds ?? config.queue.runSeconds)
        let stop = StopFlag()
        let outcome = Mutex<Int32>(0)
        HTTPClient.globalInit()
        runWorkerThreads(count: 1, stop: stop) { _ in
            do {
                let auth = try GoogleAuth(
                    settings: google, scopes: [GoogleAuth.sheetsScope], http: HTTPClient(),
                    redis: LazyRedis(config.infrastructure.redis), logger: logger,
                    timeout: config.infrastructure.httpTimeout, connectTimeout: config.infrastructure.httpConnectTimeout)
                let sheets = SheetsClient(auth: auth, baseURL: google.sheetsAPIURL, spreadsheetID: spreadsheetID)
                let mirror = SheetsMirror(sheets: sheets, sheetName: google.sheetName, batchSize: google.sheetsSyncBatch, logger: logger)
                let database = LazyPostgres(conninfo: config.infrastructure.databaseURL)
                // Like the drain, one run keeps watching for most of the minute, so a new lead reaches the sheet in
                // seconds; the first pass always runs.
                try repeatUntil(deadline: deadline, stop: stop, pauseSeconds: 2) {
                    let report = try database.with { try mirror.run(database: $0, deadline: deadline) { stop.isSet } }
                    if let report, report.pushed > 0 {
                        logger.info(
                            "sheets sync pushed", metadata: ["sheets.rows": "\(report.pushed)", "sheets.new_rows": "\(report.placed)"])
                    }
                }
            } catch let error as GoogleError where error.code == .rejected || error.code == .tokenRejected {
                logger.error("sheets sync refused by Google", metadata: ["error": "\(error)", "google.message": "\(error.message)"])
                outcome.withLock { $0 = 1 }
            } catch {
                logger.warning("sheets sync incomplete; the next run continues", metadata: ["error": "\(error)"])
                outcome.withLock { $0 = ExitStatus.temporaryFailure.rawValue }
            }
        }
        let status = outcome.withLock { $0 }
        if status != 0 { throw ExitCode(status) }
        ProcessSetup.finishJob("cron-sheets-sync", config: config, logger: logger)
    }
}

SheetsSyncJob.main()
