import ArgumentParser
import Operations
import Platform
import Postgres

/// `botctl stats`: the Shoro and Academy funnels since a moment.
struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the Shoro and Academy funnels.")

    @Option(help: "Window start: a duration back from now (30m, 24h, 7d) or a UTC date (2026-12-01).")
    var since = "7d"
    @Flag(help: "One JSON object.") var json = false

    struct Report: Encodable {
        let since: Double
        let until: Double
        let shoro: ShoroFunnel?
        let academy: AcademyFunnel?
    }

    func run() throws {
        let now = Clock.system.now()
        guard let since = OperationsFormat.parseSince(self.since, now: now) else {
            throw ValidationError("--since \(self.since): expected a duration such as 30m, 24h or 7d, or a date YYYY-MM-DD")
        }
        let (config, _) = ProcessSetup.load("botctl")
        let postgres = try PostgresConnection(conninfo: config.infrastructure.databaseURL)
        let report = Report(
            since: since, until: now,
            shoro: config.shoro == nil ? nil : try ShoroFunnel.read(since: since, until: now, on: postgres),
            academy: config.academy == nil ? nil : try AcademyFunnel.read(since: since, until: now, on: postgres))
        if self.json {
            print(try OperationsFormat.json(report))
            return
        }
        print("funnels from \(OperationsFormat.instant(since)) to \(OperationsFormat.instant(now))")
        if let shoro = report.shoro {
            print(
                "\nShoro: conversion \(OperationsFormat.percent(shoro.conversion)), median time to order "
                    + (shoro.medianSecondsToOrder.map(OperationsFormat.duration) ?? "-"))
            print(
                Table(["step", "conversations", "drop-off"], shoro.steps.map { [$0.step, "\($0.conversations)", "\($0.dropOff)"] }).text)
            print(Table(["day", "started", "ordered"], shoro.days.map { [$0.day, "\($0.started)", "\($0.ordered)"] }).text)
            print("\noutcomes: " + OperationsFormat.pairs(shoro.outcomes) + "; stopped at: " + OperationsFormat.pairs(shoro.dropOffStates))
        }
        if let academy = report.academy {
            print(
                "\nAcademy: \(academy.leads) lead(s) (\(OperationsFormat.pairs(academy.leadsBySource))), opened the bot \(academy.openedBot), "
                    + "registered \(academy.registered), booked \(academy.booked), reminded \(academy.reminded)")
            print(
                Table(
                    ["email chain", "done", "cancelled", "dead", "pending"],
                    academy.emailChain.map { step in
                        [step.step] + ["done", "cancelled", "dead", "pending"].map { "\(step.outcomes[$0] ?? 0)" }
                    }
                ).text)
        }
    }

}
