// swift-tools-version:6.0
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

// Release responders carry the Swift runtime and FoundationEssentials statically: a process then keeps only
// the pages it uses instead of every shared library's relocated data (peak RSS 15.7 → see bench/RESULTS.md).
// Only the responders: Foundation's time zones (the cron jobs need them) are not found when linked statically.
let responderLinking: [LinkerSetting] = [
    .unsafeFlags(["-static-stdlib", "-l_FoundationCollections", "-l_FoundationCShims"], .when(configuration: .release))
]

let package = Package(
    name: "chatbots",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "fcgi-health", targets: ["HealthResponder"]),
        .executable(name: "fcgi-chat2desk", targets: ["Chat2DeskResponder"]),
        .executable(name: "cron-drain", targets: ["DrainJob"]),
        .executable(name: "cron-outbox", targets: ["OutboxJob"]),
        .executable(name: "fcgi-tilda", targets: ["TildaResponder"]),
        .executable(name: "fcgi-telegram", targets: ["TelegramResponder"]),
        .executable(name: "cron-due-jobs", targets: ["DueJobsJob"]),
        .executable(name: "cron-sheets-sync", targets: ["SheetsSyncJob"]),
        .executable(name: "cron-prune", targets: ["PruneJob"]),
        .executable(name: "botctl", targets: ["BotCtl"]),
        .executable(name: "fcgi-ops", targets: ["OpsResponder"]),
        .executable(name: "edge-fuzz", targets: ["EdgeFuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // C libraries from Debian's -dev packages. Each modulemap also carries `link` so a
        // missing .pc file still links; hiredis skips pkg-config because its .pc adds a
        // -D flag SwiftPM prohibits (a warning on every build).
        .systemLibrary(name: "CFastCGI", pkgConfig: "fcgi", providers: [.apt(["libfcgi-dev"])]),
        .systemLibrary(name: "CHiredis", providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),

        // Safe wrappers: the only Swift code that sees C pointers.
        .target(name: "FastCGI", dependencies: ["CFastCGI"], swiftSettings: swiftSettings),
        .target(name: "Redis", dependencies: ["CHiredis"], swiftSettings: swiftSettings),
        .target(name: "Postgres", dependencies: ["CLibPQ"], swiftSettings: swiftSettings),
        .target(name: "Curl", dependencies: ["CCurl"], swiftSettings: swiftSettings),

        // Pure core: dialogs and domain rules, no I/O.
        .target(name: "BotCore", swiftSettings: swiftSettings),

        // What travels between the edge and the drains: the queued message types and JSONValue, the one parser
        // for untrusted JSON. Pure, like BotCore.
        .target(name: "Messages", swiftSettings: swiftSettings),
        // Platform: configuration, process start-up, logging, the inbound queues, rate limits, Redis helpers.
        .target(
            name: "Platform",
            dependencies: [
                "Messages", "Redis", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // What needs PostgreSQL (the outbox, delayed jobs, migrations), kept out of Platform so the webhook
        // responders, which link Platform through Edge, never load libpq and its TLS/Kerberos/LDAP libraries.
        .target(
            name: "Storage",
            dependencies: ["Platform", "Messages", "Postgres", "Redis", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        // The HTTP edge: what the webhook responders need and nothing more (no PostgreSQL, no libcurl, no
        // crypto, no Foundation proper), so they start fast and stay small.
        .target(
            name: "Edge",
            dependencies: ["BotCore", "Messages", "Platform", "FastCGI", "Redis", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        // `GET /health` checks PostgreSQL too: a module of its own, linked by the health responder only.
        .target(name: "Health", dependencies: ["Edge", "Messages", "Storage", "Postgres"], swiftSettings: swiftSettings),
        // The external APIs, one folder per provider (Chat2Desk, Telegram, Resend, Google, Zoom, OpenAI); no SQL. Storage
        // only for the outbox row and send outcome that the senders take and return.
        .target(
            name: "Clients",
            dependencies: [
                "Platform", "Storage", "Messages", "Curl", "Redis", .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // The Shoro bot's runtime: its dialog steps with their SQL, and the effects they send through Chat2Desk.
        .target(
            name: "Shoro",
            dependencies: [
                "BotCore", "Clients", "Platform", "Storage", "Messages", "Postgres", "Curl",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The Academy bot's runtime: Telegram steps, leads, email chain, booking, AI assistant, voice, Sheets mirror.
        .target(
            name: "Academy",
            dependencies: [
                "BotCore", "Clients", "Platform", "Storage", "Messages", "Postgres", "Redis", "Curl",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // What operators see and steer (queues, rates, last runs, funnels, dead letters one at a time): the one read
        // model behind `botctl status|stats|dlq` and the /ops/ dashboard.
        .target(
            name: "Operations",
            dependencies: ["Platform", "Storage", "Postgres", "Redis", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // The /ops/ dashboard: server-rendered HTML over `Operations`, POSTs guarded by an HMAC CSRF token.
        .target(
            name: "OpsDashboard",
            dependencies: [
                "Operations", "Edge", "FastCGI", "Platform", "Storage", "BotCore", .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),

        // Foundation's time-zone database, kept out of the responders.
        .target(name: "AcademyTime", dependencies: ["BotCore", "Platform"], swiftSettings: swiftSettings),

        .executableTarget(
            name: "HealthResponder", dependencies: ["Health"], swiftSettings: swiftSettings, linkerSettings: responderLinking),
        .executableTarget(name: "OpsResponder", dependencies: ["OpsDashboard", "Edge"], swiftSettings: swiftSettings),
        .executableTarget(
            name: "Chat2DeskResponder", dependencies: ["Edge"], swiftSettings: swiftSettings, linkerSettings: responderLinking),
        .executableTarget(
            name: "TildaResponder", dependencies: ["Edge"], swiftSettings: swiftSettings, linkerSettings: responderLinking),
        .executableTarget(
            name: "TelegramResponder", dependencies: ["Edge"], swiftSettings: swiftSettings, linkerSettings: responderLinking),
        .executableTarget(
            name: "DueJobsJob",
            dependencies: [
                "Academy", "AcademyTime", "BotCore", "Platform", "Curl",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "DrainJob",
            dependencies: [
                "Shoro", "Academy", "Clients", "AcademyTime", "BotCore", "Platform", "Storage", "Curl",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "OutboxJob",
            dependencies: [
                "Shoro", "Academy", "Clients", "Health", "Platform", "Storage", "Curl",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "SheetsSyncJob",
            dependencies: [
                "Academy", "Clients", "Platform", "Storage", "Curl",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "PruneJob",
            dependencies: [
                "Platform", "Storage", "Postgres", "Redis",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "BotCtl",
            dependencies: [
                "Academy", "BotCore", "Clients", "Messages", "Operations", "Platform", "Shoro", "Storage", "Postgres", "Redis", "Curl",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),

        // The webhooks' body handling under libFuzzer (`make fuzz`); a plain build replays a corpus (`make test`).
        .executableTarget(
            name: "EdgeFuzz", dependencies: ["Edge", "Messages", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings),

        .testTarget(name: "BotCoreTests", dependencies: ["BotCore"], swiftSettings: swiftSettings),
        // Pure tests of the modules above BotCore (parsers, clients' request building, settings): no stack needed.
        .testTarget(
            name: "UnitTests",
            dependencies: [
                "Academy", "AcademyTime", "BotCore", "Clients", "Curl", "Edge", "Messages", "Platform", "Postgres", "Storage",
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // What the integration suites share: the local stack's addresses and connections, child processes, polling.
        .target(
            name: "TestSupport", dependencies: ["Curl", "Platform", "Postgres", "Redis"], path: "Tests/TestSupport",
            swiftSettings: swiftSettings),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "Clients", "Shoro", "Academy", "Edge", "Health", "AcademyTime", "FastCGI", "Messages", "Redis", "Postgres", "Curl",
                "TestSupport",
                "Platform", "Storage", "Operations", "OpsDashboard",
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
