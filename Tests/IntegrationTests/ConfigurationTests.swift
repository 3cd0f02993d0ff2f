import Foundation
import Platform
import Redis
import TestSupport
import Testing

/// A minimal valid environment for `AppConfig`.
private let validEnvironment = [
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/chatbots",
    "CHAT2DESK_TOKEN": "token",
    "CHAT2DESK_WEBHOOK_SECRET": "0123456789abcdef",
]

private func problems(_ environment: [String: String]) -> [ConfigurationError.Problem] {
    do {
        _ = try AppConfig(environment: environment)
        return []
    } catch {
        return error.problems
    }
}

@Suite("Configuration")
struct ConfigurationTests {
    @Test func anEmptyEnvironmentNamesEveryRequiredVariableAtOnce() {
        let found = problems([:])
        let names = Set(found.map(\.variable))
        #expect(names == ["REDIS_URL", "DATABASE_URL", "CHAT2DESK_TOKEN", "CHAT2DESK_WEBHOOK_SECRET"])
        do {
            _ = try AppConfig(environment: [:])
        } catch {
            let text = String(describing: error)
            for name in ["REDIS_URL", "DATABASE_URL", "CHAT2DESK_TOKEN", "CHAT2DESK_WEBHOOK_SECRET"] {
                #expect(text.contains(name), "\(name) missing from: \(text)")
            }
        }
        // Blank values count as missing.
        #expect(Set(problems(["REDIS_URL": "  ", "DATABASE_URL": ""]).map(\.variable)).isSuperset(of: ["REDIS_URL", "DATABASE_URL"]))
    }

    @Test func aValidEnvironmentReadsWithDefaults() throws {
        let config = try AppConfig(environment: validEnvironment)
        #expect(config.infrastructure.redis.port == 6379)
        #expect(config.infrastructure.fastCGIThreads == 32)
        #expect(config.queue.concurrency == 5)
        #expect(config.outbound.inlineRetryDelays == [1, 2, 4])
        #expect(config.shoro?.apiURL == "https://api.chat2desk.com")
        #expect(config.enabledBots == ["shoro"])
        // Without Shoro, its variables are not required.
        let without = try AppConfig(environment: ["REDIS_URL": "redis://h", "DATABASE_URL": "x", "SHORO_ENABLED": "false"])
        #expect(without.shoro == nil)
        #expect(without.enabledBots.isEmpty)
        let custom = try AppConfig(
            environment: validEnvironment.merging([
                "CHAT2DESK_API_URL": "http://127.0.0.1:9/", "SEND_RETRY_DELAYS": "0.5, 1", "FCGI_THREADS": "3", "LOG_LEVEL": "debug",
            ]) { _, new in new })
        #expect(custom.shoro?.apiURL == "http://127.0.0.1:9")
        #expect(custom.outbound.inlineRetryDelays == [0.5, 1])
        #expect(custom.infrastructure.fastCGIThreads == 3)
        #expect(custom.infrastructure.logLevel == "debug")
        #expect(config.shoro?.operatorPauseSeconds == 14400 && config.shoro?.teamHours == nil && config.shoro?.dispatchAsComment == true)
        let hours = try AppConfig(environment: validEnvironment.merging(["SHORO_TEAM_HOURS": "22:30 - 06:00"]) { _, new in new })
        #expect(hours.shoro?.teamHours?.start == 22 * 60 + 30 && hours.shoro?.teamHours?.end == 6 * 60)
    }

    struct InvalidCase: Sendable, CustomTestStringConvertible {
        let variable: String
        let value: String
        var testDescription: String { "\(self.variable)=\(self.value)" }
    }

    @Test(arguments: [
        InvalidCase(variable: "DRAIN_CONCURRENCY", value: "99"),
        InvalidCase(variable: "DRAIN_CONCURRENCY", value: "0"),
        InvalidCase(variable: "DRAIN_BATCH_SIZE", value: "0"),
        InvalidCase(variable: "DRAIN_BATCH_SIZE", value: "51"),
        InvalidCase(variable: "FCGI_THREADS", value: "x"),
        InvalidCase(variable: "FCGI_THREADS", value: "1.5"),
        InvalidCase(variable: "CHAT2DESK_WEBHOOK_SECRET", value: "abcde"),
        InvalidCase(variable: "REDIS_URL", value: "localhost:6379"),
        InvalidCase(variable: "LOG_LEVEL", value: "verbose"),
        InvalidCase(variable: "SHORO_ENABLED", value: "maybe"),
        InvalidCase(variable: "SHORO_TEAM_HOURS", value: "9-18"),
        InvalidCase(variable: "SHORO_TEAM_HOURS", value: "09:00-09:00"),
        InvalidCase(variable: "SHORO_TEAM_HOURS", value: "09:00-25:00"),
        InvalidCase(variable: "SHORO_OPERATOR_PAUSE_SECONDS", value: "0"),
        InvalidCase(variable: "SHORO_TEAM_UTC_OFFSET_MINUTES", value: "1000"),
        InvalidCase(variable: "CHAT2DESK_API_URL", value: "api.chat2desk.com"),
        InvalidCase(variable: "SEND_RETRY_DELAYS", value: "1,,x"),
        InvalidCase(variable: "HTTP_TIMEOUT_SECONDS", value: "-1"),
        InvalidCase(variable: "QUEUE_LEASE_SECONDS", value: "nan"),
        InvalidCase(variable: "ACADEMY_ENABLED", value: "yes please"),
        InvalidCase(variable: "JOBS_MAX_ATTEMPTS", value: "0"),
        InvalidCase(variable: "REDIS_URL", value: "redis://user:@h/0"),
        InvalidCase(variable: "RETENTION_MESSAGE_TEXT_DAYS", value: "0"),
        InvalidCase(variable: "RETENTION_BATCH_SIZE", value: "many"),
    ])
    func anInvalidValueNamesItsVariable(_ example: InvalidCase) {
        let found = problems(validEnvironment.merging([example.variable: example.value]) { _, new in new })
        #expect(found.map(\.variable) == [example.variable], "problems: \(found)")
    }

    @Test func retentionDefaultsAreTheDocumentedOnes() throws {
        let config = try AppConfig(environment: validEnvironment)
        #expect(
            config.retention
                == RetentionSettings(
                    messageTextDays: 90, sentOutboxDays: 30, finishedJobDays: 30, leadEventDays: 365, deadLetterDays: 90,
                    deadLetterMax: 10_000, batchSize: 1000))
    }

    @Test func theAcademyNamesEachOfItsRequiredVariables() throws {
        let found = problems(validEnvironment.merging(["ACADEMY_ENABLED": "true"]) { _, new in new })
        #expect(
            Set(found.map(\.variable)) == [
                "TILDA_WEBHOOK_SECRET", "RESEND_API_KEY", "EMAIL_FROM", "TELEGRAM_BOT_TOKEN", "TELEGRAM_BOT_USERNAME",
                "TELEGRAM_WEBHOOK_SECRET", "MANAGER_TELEGRAM_CHAT_ID", "ACADEMY_MANAGER_LINK", "ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID",
                "ZOOM_CLIENT_SECRET", "OPENAI_API_KEY",
            ])
        let academy: [String: String] = [
            "ACADEMY_ENABLED": "true", "TILDA_WEBHOOK_SECRET": "0123456789abcdef", "RESEND_API_KEY": "re_123",
            "EMAIL_FROM": "Academy <a@example.com>", "TELEGRAM_BOT_TOKEN": "1:abc", "TELEGRAM_BOT_USERNAME": "@AcademyBot",
            "TELEGRAM_WEBHOOK_SECRET": "tg_secret-0123456789", "ACADEMY_MANAGER_LINK": "https://t.me/manager",
            "MANAGER_EMAIL": "manager@example.com", "OPENAI_API_KEY": "sk-test-0123456789",
            "ZOOM_ACCOUNT_ID": "acc", "ZOOM_CLIENT_ID": "cid", "ZOOM_CLIENT_SECRET": "zoom-secret",
        ]
        let config = try AppConfig(environment: validEnvironment.merging(academy) { _, new in new })
        #expect(config.enabledBots == ["shoro", "academy"])
        #expect(config.academy?.telegramBotUsername == "AcademyBot")
        #expect(config.academy?.email.email1Delay == 1800)
        #expect(config.academy?.tilda.secretHeader == "X-Tilda-Secret")
        let bad = problems(
            validEnvironment.merging(academy) { _, new in new }.merging([
                "RESEND_API_KEY": "sk_live", "MANAGER_TELEGRAM_CHAT_ID": "@manager", "TELEGRAM_BOT_TOKEN": "nocolon",
                "TELEGRAM_WEBHOOK_SECRET": "has spaces and ! marks",
            ]) { _, new in new })
        #expect(
            Set(bad.map(\.variable)) == ["RESEND_API_KEY", "MANAGER_TELEGRAM_CHAT_ID", "TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET"])
    }

    @Test func problemsNeverEchoSecrets() {
        let found = problems(
            validEnvironment.merging([
                "CHAT2DESK_WEBHOOK_SECRET": "short-hunter2", "REDIS_URL": "redis://:hunter2-pass@host:notaport/0",
            ]) { _, new in new })
        #expect(Set(found.map(\.variable)) == ["CHAT2DESK_WEBHOOK_SECRET", "REDIS_URL"])
        for problem in found { #expect(!problem.message.contains("hunter2"), "\(problem)") }
    }

    @Test func severalProblemsAreReportedTogether() {
        let found = problems(["DRAIN_CONCURRENCY": "99", "FCGI_THREADS": "x", "CHAT2DESK_WEBHOOK_SECRET": "abcde"])
        #expect(
            Set(found.map(\.variable)) == [
                "REDIS_URL", "DATABASE_URL", "CHAT2DESK_TOKEN", "CHAT2DESK_WEBHOOK_SECRET", "DRAIN_CONCURRENCY", "FCGI_THREADS",
            ])
    }

    @Test(.stack, arguments: ["fcgi-health", "fcgi-chat2desk", "fcgi-ops", "botctl"])
    func anExecutableWithABadEnvironmentExits78NamingTheVariables(product: String) throws {
        let arguments = product == "botctl" ? ["migrate", "--dir", "/nonexistent"] : ["--socket", TestStack.temporarySocketPath("bad")]
        let result = try TestStack.run(
            try TestStack.executable(product), arguments,
            environment: TestStack.childEnvironment(["DRAIN_CONCURRENCY": "99", "FCGI_THREADS": "x", "CHAT2DESK_WEBHOOK_SECRET": "abcde"]),
            timeout: 5)
        #expect(result.status == 78, "stderr: \(result.stderr)")
        let own = product == "fcgi-ops" ? ["OPS_CSRF_SECRET"] : []
        for name in ["REDIS_URL", "DATABASE_URL", "CHAT2DESK_TOKEN", "CHAT2DESK_WEBHOOK_SECRET", "DRAIN_CONCURRENCY", "FCGI_THREADS"] + own
        {
            #expect(result.stderr.contains(name), "\(name) missing from: \(result.stderr)")
        }
        #expect(!result.stderr.contains("abcde"))
    }

    @Test(.stack) func anUnreadableEnvironmentFileIsAConfigurationError() throws {
        let result = try TestStack.run(
            try TestStack.executable("fcgi-health"), ["--socket", TestStack.temporarySocketPath("bad")],
            environment: TestStack.childEnvironment(["CHATBOTS_ENV_FILE": "/nonexistent/chatbots.env"]), timeout: 5)
        #expect(result.status == 78)
        #expect(result.stderr.contains("CHATBOTS_ENV_FILE"))
    }

    struct FileCase: Sendable, CustomTestStringConvertible {
        let text: String
        let expected: [String: String]
        var testDescription: String { self.text.debugDescription }
    }

    @Test(arguments: [
        FileCase(text: "A=1", expected: ["A": "1"]),
        FileCase(text: "# comment\nA=1\n\n  # indented comment\nB=2\n", expected: ["A": "1", "B": "2"]),
        FileCase(text: "export A=1\nexport   B = two ", expected: ["A": "1", "B": "two"]),
        FileCase(
            text: "A=\"double quoted # not a comment\"\nB='single quoted'",
            expected: ["A": "double quoted # not a comment", "B": "single quoted"]),
        FileCase(text: "A=\"  padded  \"", expected: ["A": "  padded  "]),
        FileCase(text: "A=\"unterminated\nB='mixed\"", expected: ["A": "\"unterminated", "B": "'mixed\""]),
        FileCase(text: "URL=postgresql://u:p@h:5432/db?sslmode=require", expected: ["URL": "postgresql://u:p@h:5432/db?sslmode=require"]),
        FileCase(text: "A=b=c", expected: ["A": "b=c"]),
        FileCase(text: "EMPTY=\nQ=\"\"", expected: ["EMPTY": "", "Q": ""]),
        FileCase(text: "NO_EQUALS_SIGN\nA=1", expected: ["A": "1"]),
        FileCase(text: "A=1\r\nB=2\r\n", expected: ["A": "1", "B": "2"]),
        FileCase(text: "A=1\nA=2", expected: ["A": "2"]),
        FileCase(text: "", expected: [:]),
    ])
    func parsesEnvironmentFiles(_ example: FileCase) {
        #expect(EnvironmentFile.parse(example.text) == example.expected)
    }

    @Test func theProcessEnvironmentWinsOverTheFile() throws {
        let directory = try TestStack.temporaryDirectory("envfile")
        defer { TestStack.removeDirectory(directory) }
        let path = directory + "/app.env"
        try Data("A=from-file\nB=from-file\n".utf8).write(to: URL(fileURLWithPath: path))
        let merged = try EnvironmentFile.effectiveEnvironment(process: ["CHATBOTS_ENV_FILE": path, "B": "from-process"])
        #expect(merged["A"] == "from-file")
        #expect(merged["B"] == "from-process")
        #expect(try EnvironmentFile.effectiveEnvironment(process: ["X": "1"]) == ["X": "1"])
        do {
            _ = try EnvironmentFile.effectiveEnvironment(process: ["CHATBOTS_ENV_FILE": directory + "/missing.env"])
            Issue.record("a missing file was accepted")
        } catch {
            #expect(error.problems.map(\.variable) == ["CHATBOTS_ENV_FILE"])
        }
    }
}
