import ArgumentParser
import Clients
import Curl
import Messages
import Platform

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
            let result = Telegram.client(config, academy).call(
                "setWebhook",
                [
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
