public import Redis
import Synchronization

/// Counters and histograms shared by every process on every host: each process adds up its own increments in
/// memory and writes them to one Redis hash (`metrics:counters`) at most once a second, in one script (one round
/// trip, one AOF write); `GET /metrics` reads the sums. So a webhook never waits for a Redis write of its own for
/// its metrics: the enqueue script counts queued and duplicate webhooks itself (`q:{name}:metrics`), and the
/// rest costs a lock and a dictionary update. `METRICS=off` turns all of it off (`make bench` compares).
///
/// A process killed by SIGKILL loses at most its last second of increments; cron jobs call `flush()` before exiting.
public final class Metrics: Sendable {
    /// The process's recorder, configured by `ProcessSetup.load`.
    public static let shared = Metrics()

    /// The Redis hash every process adds to.
    public static let countersKey = "metrics:counters"

    private struct State {
        var enabled = false
        var redis: RedisConfiguration?
        var pending: [String: Double] = [:]
        /// Observations per histogram series (keyed by its count field): per-bucket (not yet cumulative) counts, sum, count.
        var histograms: [String: (series: HistogramSeries, buckets: [Double], sum: Double, count: Double)] = [:]
        var lastFlush = 0.0
        var flushing = false
        /// A background thread flushes (`startBackgroundFlush`): recording never waits for Redis.
        var flushesInBackground = false

        /// Takes every increment, histograms turned into the cumulative buckets Redis keeps.
        mutating func take() -> [String: Double] {
            var taken = self.pending
            for (series, buckets, sum, count) in self.histograms.values {
                var cumulative = 0.0
                for (key, increment) in zip(series.bucketKeys, buckets) {
                    cumulative += increment
                    if cumulative > 0 { taken[key, default: 0] += cumulative }
                }
                taken[series.sumKey, default: 0] += sum
                taken[series.countKey, default: 0] += count
            }
            self.pending = [:]
            self.histograms = [:]
            return taken
        }
    }

    private let state = Mutex(State())
    /// Per-thread recorders whose increments this one flushes (`threadRecorder()`).
    private let children = Mutex<[Metrics]>([])
    /// Held only by the thread that flushes (never while `state` is held).
    private let connection = Mutex<RedisConnection?>(nil)
    private let flushInterval: Double

    public init(flushIntervalSeconds: Double = 1) { self.flushInterval = flushIntervalSeconds }

    /// Turns recording on (`enabled`) with the Redis to flush to. `webhookRoute` names the route a webhook
    /// responder serves (`chat2desk`, `tilda`, `telegram`), passed to the enqueue script so it counts what it queued.
    public func configure(redis: RedisConfiguration, enabled: Bool, webhookRoute: String? = nil) {
        self.state.withLock {
            $0.enabled = enabled
            $0.redis = redis
        }
        self.route = enabled ? webhookRoute : nil
    }

    public var isEnabled: Bool { self.state.withLock { $0.enabled } }

    /// The route label for the enqueue script's own counters; nil when metrics are off. Read on every webhook
    /// without a lock: it is set by `configure` at start-up, before any thread answers a request.
    public var webhookRoute: String? { self.route }
    nonisolated(unsafe) private var route: String?

    /// Adds `value` to a counter.
    public func add(_ counter: MetricCounter, _ labels: [(String, String)], _ value: Double = 1) {
        self.record([(MetricField.key(counter.name, part: "", labels: labels), value)])
    }

    /// Records one observation of a histogram series. The hot path (every webhook) does one dictionary update here;
    /// the cumulative bucket counts Redis keeps are worked out when flushing.
    public func observe(_ series: HistogramSeries, _ value: Double) {
        let bucket = series.bounds.firstIndex { value <= $0 }
        self.record { state in
            // In place (no copy of the bucket array): the entry is created once per series and flush.
            if state.histograms[series.countKey] == nil {
                state.histograms[series.countKey] = (series, Array(repeating: 0, count: series.bounds.count), 0, 0)
            }
            if let bucket { state.histograms[series.countKey]!.buckets[bucket] += 1 }
            state.histograms[series.countKey]!.sum += value
            state.histograms[series.countKey]!.count += 1
        }
    }

    /// `observe` for a series built on the spot (fine off the hot path).
    public func observe(_ histogram: MetricHistogram, _ labels: [(String, String)], _ value: Double) {
        self.observe(histogram.series(labels), value)
    }

    private func record(_ updates: [(String, Double)]) {
        self.record { state in for (key, value) in updates { state.pending[key, default: 0] += value } }
    }

    private func record(_ update: (inout State) -> Void) {
        let due: Bool = self.state.withLock { state in
            guard state.enabled else { return false }
            update(&state)
            return !state.flushesInBackground && !state.flushing && monotonicSeconds() - state.lastFlush >= self.flushInterval
        }
        if due { self.flush() }
    }

    /// A recorder for one thread of a responder: its lock is that thread's own (the background flush takes it once a
    /// second), so the threads answering webhooks never wait for each other to count. Flushed with this one.
    public func threadRecorder() -> Metrics {
        let child = Metrics(flushIntervalSeconds: self.flushInterval)
        child.state.withLock { $0.enabled = self.isEnabled }
        child.state.withLock { $0.flushesInBackground = true }
        self.children.withLock { $0.append(child) }
        return child
    }

    /// For long-running processes (the responders): a thread flushes once per interval, so a request never waits
    /// for a flush and the last counts of a quiet minute still reach Redis within a second.
    public func startBackgroundFlush() {
        let start: Bool = self.state.withLock { state in
            defer { state.flushesInBackground = true }
            return state.enabled && !state.flushesInBackground
        }
        guard start else { return }
        startBackgroundThread {
            while true {
                sleepSeconds(self.flushInterval)
                self.flush()
            }
        }
    }

    /// Writes what this process counted since the last flush (one script). On failure the increments are kept
    /// for the next flush; never throws, so metrics never fail the work they count.
    public func flush() {
        let fromThreads = self.children.withLock { $0 }.map { child in child.state.withLock { $0.take() } }
        let taken: (pending: [String: Double], redis: RedisConfiguration)? = self.state.withLock { state in
            for increments in fromThreads { for (key, value) in increments { state.pending[key, default: 0] += value } }
            guard state.enabled, !state.flushing, !state.pending.isEmpty || !state.histograms.isEmpty, let redis = state.redis
            else { return nil }
            state.flushing = true
            state.lastFlush = monotonicSeconds()
            return (state.take(), redis)
        }
        guard let taken else { return }
        let arguments = taken.pending.flatMap { [$0.key, MetricsExposition.format($0.value)] }
        let written: Bool = self.connection.withLock { connection in
            do {
                if connection == nil || connection?.isConnected != true { connection = try RedisConnection(taken.redis) }
                _ = try connection!.evaluate(Self.flushScript, keys: [Self.countersKey], arguments: arguments)
                return true
            } catch {
                connection = nil
                return false
            }
        }
        self.state.withLock { state in
            state.flushing = false
            if !written { for (key, value) in taken.pending { state.pending[key, default: 0] += value } }
        }
    }

    /// KEYS: the counters hash. ARGV: field, increment pairs.
    private static let flushScript = RedisScript(
        """
        for index = 1, #ARGV, 2 do redis.call('HINCRBYFLOAT', KEYS[1], ARGV[index], ARGV[index + 1]) end
        return 1
        """)
}

/// A counter family of `Metrics`.
public struct MetricCounter: Sendable {
    public let name: String
    public let help: String
    public init(_ name: String, help: String) {
        self.name = name
        self.help = help
    }
}

/// A histogram family of `Metrics`: its buckets' upper bounds (increasing; `+Inf` is implied).
public struct MetricHistogram: Sendable {
    public let name: String
    public let help: String
    public let bounds: [Double]
    public init(_ name: String, help: String, bounds: [Double]) {
        self.name = name
        self.help = help
        self.bounds = bounds
    }
}

/// One label set of a histogram, with its stored field names worked out once (see `MetricField`).
public struct HistogramSeries: Sendable {
    public let bounds: [Double]
    let bucketKeys: [String]
    let sumKey: String
    let countKey: String
}

extension MetricHistogram {
    public func series(_ labels: [(String, String)]) -> HistogramSeries {
        HistogramSeries(
            bounds: self.bounds,
            bucketKeys: self.bounds.map { MetricField.key(self.name, part: MetricField.bucketPart($0), labels: labels) },
            sumKey: MetricField.key(self.name, part: "sum", labels: labels),
            countKey: MetricField.key(self.name, part: "count", labels: labels))
    }
}

/// The families every process records (`GET /metrics` renders them from Redis).
public enum MetricCatalog {
    public static let webhooks = MetricCounter(
        "chatbots_webhooks_total",
        help: "Webhook requests by route and outcome: queued, duplicate, ignored (answered 200, nothing to queue), an HTTP 4xx code, 503.")
    public static let webhookDuration = MetricHistogram(
        "chatbots_webhook_duration_seconds", help: "Time a webhook responder took to answer, by route.",
        bounds: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1])
    public static let dialogSteps = MetricCounter(
        "chatbots_dialog_steps_total",
        help: "Inbound messages the drain ran, by bot and result: done, retried, postponed (outage), dead (dead letter).")
    public static let replies = MetricCounter(
        "chatbots_replies_total",
        help: "Reply send attempts by provider and outcome: sent, retried (an inline retry), failed (left to the outbox job), dead.")
    public static let replyLatency = MetricHistogram(
        "chatbots_reply_latency_seconds",
        help: "From the webhook's acceptance to the provider's acceptance of the reply, by provider.",
        bounds: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800])
    public static let counters = [webhooks, dialogSteps, replies]
    public static let histograms = [webhookDuration, replyLatency]
}

/// How a sample is stored as a field of `metrics:counters`: `name TAB part TAB k=v,k=v`, where `part` is empty
/// for a counter, `le=<bound>`, `sum` or `count` for a histogram. Label values are reduced to `[A-Za-z0-9_.:-]`
/// (they are routes, providers, outcomes and kinds, never user data), so the field splits back unambiguously.
public enum MetricField {
    public static func key(_ name: String, part: String, labels: [(String, String)]) -> String {
        name + "\t" + part + "\t" + labels.map { "\($0.0)=\(self.sanitize($0.1))" }.joined(separator: ",")
    }

    public static func bucketPart(_ bound: Double) -> String { "le=" + MetricsExposition.format(bound) }

    /// The parts of a stored field; nil for one of another shape.
    public static func parse(_ field: String) -> (name: String, part: String, labels: [(String, String)])? {
        let parts = field.split(separator: "\t", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        var labels: [(String, String)] = []
        for pair in parts[2].split(separator: ",") {
            guard let equals = pair.firstIndex(of: "=") else { return nil }
            labels.append((String(pair[..<equals]), String(pair[pair.index(after: equals)...])))
        }
        return (String(parts[0]), String(parts[1]), labels)
    }

    static func sanitize(_ value: String) -> String {
        // Label values are nearly always clean already (queue and provider names, outcomes): checking the bytes is
        // much cheaper than mapping Characters, and a count is recorded for every message and reply.
        if value.utf8.allSatisfy(Self.isClean) { return value }
        return String(value.map { $0.isASCII && ($0.isLetter || $0.isNumber || "_.:-".contains($0)) ? $0 : "_" })
    }

    private static func isClean(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: ":"), UInt8(ascii: "-"):
            true
        default: false
        }
    }

    /// Renders the stored sums of `counters` and `histograms` (every known family, also when nothing was counted
    /// yet); fields of unknown families are skipped. Histogram buckets never written are rendered as their
    /// cumulative count (the next bound's count is at least theirs: recording increments every bucket above).
    public static func families(
        from stored: [String: Double], counters: [MetricCounter] = MetricCatalog.counters,
        histograms: [MetricHistogram] = MetricCatalog.histograms
    ) -> [MetricsExposition.Family] {
        var byName: [String: [(part: String, labels: [(String, String)], value: Double)]] = [:]
        for (field, value) in stored {
            guard let parsed = self.parse(field) else { continue }
            byName[parsed.name, default: []].append((parsed.part, parsed.labels, value))
        }
        func labelKey(_ labels: [(String, String)]) -> String { labels.map { "\($0.0)=\($0.1)" }.joined(separator: ",") }
        var families: [MetricsExposition.Family] = counters.map { counter in
            let samples = (byName[counter.name] ?? []).filter { $0.part.isEmpty }
                .sorted { labelKey($0.labels) < labelKey($1.labels) }
                .map { MetricsExposition.Sample(labels: $0.labels, value: $0.value) }
            return MetricsExposition.Family(counter.name, .counter, help: counter.help, samples: samples)
        }
        for histogram in histograms {
            var series: [String: (labels: [(String, String)], parts: [String: Double])] = [:]
            for entry in byName[histogram.name] ?? [] {
                series[labelKey(entry.labels), default: (entry.labels, [:])].parts[entry.part] = entry.value
            }
            var family = MetricsExposition.Family(histogram.name, .histogram, help: histogram.help)
            for key in series.keys.sorted() {
                let (labels, parts) = series[key]!
                let count = parts["count"] ?? 0
                // A bucket without a field had no observation at or below its bound: its cumulative count is 0.
                let counts = histogram.bounds.map { parts[self.bucketPart($0)] ?? 0 }
                family.samples += MetricsExposition.histogramSamples(
                    labels: labels, bounds: histogram.bounds, cumulativeCounts: counts, sum: parts["sum"] ?? 0, count: count)
            }
            families.append(family)
        }
        return families
    }
}

/// The last successful run of each cron job: Redis hash `jobs:last_run`, field = the executable's name,
/// value = Redis's clock in unix seconds (so hosts' clocks do not matter). Read by `/metrics`, `/health` and botctl.
public enum JobRuns {
    public static let key = "jobs:last_run"
    /// How often a long run (`cron-drain`, also as `chatbots-drain.service`) reports that it is alive and draining,
    /// so `/health` can tell a running drain from a dead one between the ends of its runs.
    public static let heartbeatSeconds = 30.0

    /// Records that `job` finished a run successfully now (Redis `TIME`).
    public static func recordSuccess(_ job: String, on redis: RedisConnection) throws {
        _ = try redis.evaluate(Self.record, keys: [Self.key], arguments: [job])
    }

    /// Every job's last successful run (unix seconds).
    public static func lastRuns(on redis: RedisConnection) throws -> [String: Int64] {
        let items = try redis.command(["HGETALL", Self.key]).array ?? []
        var runs: [String: Int64] = [:]
        for index in stride(from: 0, to: items.count - 1, by: 2) {
            if let job = items[index].string, let value = items[index + 1].string.flatMap({ Int64($0) }) { runs[job] = value }
        }
        return runs
    }

    private static let record = RedisScript(
        """
        redis.call('HSET', KEYS[1], ARGV[1], redis.call('TIME')[1])
        return 1
        """)
}
