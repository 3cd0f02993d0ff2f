import Platform
import Testing

/// The Prometheus text renderer and the Redis field encoding of `Metrics` (pure: no stack needed).
@Suite("Metrics exposition format")
struct MetricsExpositionTests {
    @Test func familiesHaveHelpAndTypeLinesThenTheirSamples() {
        let text = MetricsExposition.render([
            .init("a_total", .counter, help: "Things.", samples: [.init(labels: [("route", "x")], value: 3)]),
            .init("b", .gauge, help: "Level.", samples: [.init(value: 0.25)]),
        ])
        #expect(
            text == """
                # HELP a_total Things.
                # TYPE a_total counter
                a_total{route="x"} 3
                # HELP b Level.
                # TYPE b gauge
                b 0.25

                """)
    }

    @Test func labelValuesAndHelpAreEscaped() {
        #expect(MetricsExposition.labelSet([("a", "q\"b\\s\nx")]) == #"{a="q\"b\\s\nx"}"#)
        #expect(MetricsExposition.escapeHelp("back\\slash \"quoted\"\nline") == #"back\\slash "quoted"\nline"#)
        #expect(MetricsExposition.labelSet([]) == "")
    }

    @Test func valuesAreFormattedAsPrometheusReadsThem() {
        #expect(MetricsExposition.format(42) == "42")
        #expect(MetricsExposition.format(-3) == "-3")
        #expect(MetricsExposition.format(0.005) == "0.005")
        #expect(MetricsExposition.format(.infinity) == "+Inf")
        #expect(MetricsExposition.format(-.infinity) == "-Inf")
        #expect(MetricsExposition.format(.nan) == "NaN")
    }

    @Test func aHistogramHasCumulativeBucketsEndingWithInfThenSumAndCount() {
        let samples = MetricsExposition.histogramSamples(
            labels: [("route", "tg")], bounds: [0.1, 1], cumulativeCounts: [2, 5], sum: 3.5, count: 6)
        let text = MetricsExposition.render([.init("h_seconds", .histogram, help: "H.", samples: samples)])
        #expect(
            text.split(separator: "\n").dropFirst(2).map(String.init) == [
                #"h_seconds_bucket{route="tg",le="0.1"} 2"#,
                #"h_seconds_bucket{route="tg",le="1"} 5"#,
                #"h_seconds_bucket{route="tg",le="+Inf"} 6"#,
                #"h_seconds_sum{route="tg"} 3.5"#,
                #"h_seconds_count{route="tg"} 6"#,
            ])
    }

    @Test func storedFieldsRoundTripAndLabelValuesCannotBreakThem() throws {
        let key = MetricField.key("m_total", part: "", labels: [("route", "chat2desk"), ("outcome", "a,b=c\td\"")])
        let parsed = try #require(MetricField.parse(key))
        #expect(parsed.name == "m_total")
        #expect(parsed.part == "")
        #expect(parsed.labels.map(\.0) == ["route", "outcome"])
        #expect(parsed.labels.map(\.1) == ["chat2desk", "a_b_c_d_"])
        #expect(MetricField.parse("not a field") == nil)
    }

    @Test func storedSumsBecomeFamiliesWithEveryBucketRendered() {
        let histogram = MetricHistogram("lat_seconds", help: "L.", bounds: [0.5, 1, 2])
        let counter = MetricCounter("c_total", help: "C.")
        let labels = [("provider", "telegram")]
        // Two observations, 0.7 and 1.5: the 1 and 2 buckets hold 1 and 2; the 0.5 bucket was never written.
        let stored: [String: Double] = [
            MetricField.key("lat_seconds", part: "le=1", labels: labels): 1,
            MetricField.key("lat_seconds", part: "le=2", labels: labels): 2,
            MetricField.key("lat_seconds", part: "sum", labels: labels): 2.2,
            MetricField.key("lat_seconds", part: "count", labels: labels): 2,
            MetricField.key("c_total", part: "", labels: [("k", "b")]): 2,
            MetricField.key("c_total", part: "", labels: [("k", "a")]): 1,
            MetricField.key("unknown_total", part: "", labels: []): 9,
        ]
        let text = MetricsExposition.render(MetricField.families(from: stored, counters: [counter], histograms: [histogram]))
        #expect(
            text == """
                # HELP c_total C.
                # TYPE c_total counter
                c_total{k="a"} 1
                c_total{k="b"} 2
                # HELP lat_seconds L.
                # TYPE lat_seconds histogram
                lat_seconds_bucket{provider="telegram",le="0.5"} 0
                lat_seconds_bucket{provider="telegram",le="1"} 1
                lat_seconds_bucket{provider="telegram",le="2"} 2
                lat_seconds_bucket{provider="telegram",le="+Inf"} 2
                lat_seconds_sum{provider="telegram"} 2.2
                lat_seconds_count{provider="telegram"} 2

                """)
    }

    @Test func monitoringVariablesAreReadAndBadValuesNamed() throws {
        let base = [
            "REDIS_URL": "redis://127.0.0.1:6379/0", "DATABASE_URL": "postgresql://x@127.0.0.1/db",
            "CHAT2DESK_TOKEN": "t", "CHAT2DESK_WEBHOOK_SECRET": "a-long-enough-secret-value",
        ]
        let defaults = try AppConfig(environment: base).monitoring
        #expect(defaults.metricsEnabled && defaults.maxQueueAgeSeconds == 120 && defaults.maxDrainIdleSeconds == 120)
        let off = try AppConfig(environment: base.merging(["METRICS": "off", "HEALTH_MAX_QUEUE_AGE_SECONDS": "5"]) { $1 }).monitoring
        #expect(!off.metricsEnabled && off.maxQueueAgeSeconds == 5)
        #expect(throws: ConfigurationError.self) { try AppConfig(environment: base.merging(["METRICS": "maybe"]) { $1 }) }
        do {
            _ = try AppConfig(environment: base.merging(["HEALTH_MAX_QUEUE_AGE_SECONDS": "0"]) { $1 })
            Issue.record("a zero age was accepted")
        } catch {
            #expect("\(error)".contains("HEALTH_MAX_QUEUE_AGE_SECONDS"))
        }
    }
}
