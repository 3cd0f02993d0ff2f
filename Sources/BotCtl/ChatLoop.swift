import Curl
import Glibc
import Platform
import Postgres

/// The conversation loop both chat simulators run: lines given up front first, then stdin (with a `you>` prompt on a
/// terminal); each non-empty line goes to the bot's `say`, which posts it as its platform's webhook and returns what to
/// print (the bot's settled replies, or why there are none).
struct ChatLoop {
    /// What a terminal user is told before the first prompt.
    let banner: String
    /// Lines said before stdin is read (e.g. `/voice FILE`).
    var pending: [String] = []

    func run(_ say: (String) throws -> [String]) throws {
        let interactive = isatty(0) == 1
        if interactive { print(self.banner) }
        var pending = self.pending
        while true {
            let line: String
            if !pending.isEmpty {
                line = pending.removeFirst()
            } else {
                if interactive { print("you> ", terminator: "") }
                guard let next = readLine() else { return }
                line = next
            }
            let text = line.trimmingSpaces
            if text.isEmpty { continue }
            for output in try say(text) { print(output) }
        }
    }

    /// What both simulators open before the first line: the configuration, an HTTP client for the webhooks, a
    /// PostgreSQL connection to watch the replies settle, and who the simulated customer is (`id`, or a new one).
    struct Setup {
        let config: AppConfig
        let http = HTTPClient()
        let connection: PostgresConnection
        let customer: Int64

        init(id: Int64?, newIDsFrom base: Int64) throws {
            (self.config, _) = ProcessSetup.load("botctl")
            self.connection = try PostgresConnection(conninfo: self.config.infrastructure.databaseURL)
            var generator = SystemRandomNumberGenerator()
            self.customer = id ?? base + Int64(generator.next() % 99_999_999)
        }
    }

    /// Posts a webhook through nginx; nil when it was accepted (200), otherwise the line that says why not.
    static func post(_ body: String, to url: String, headers: [(name: String, value: String)], http: HTTPClient) throws -> String? {
        let response = try http.perform(
            HTTPRequest(
                method: "POST", url: url, headers: [("Content-Type", "application/json")] + headers, body: Array(body.utf8),
                totalTimeout: 10))
        return response.status == 200 ? nil : "(webhook answered \(response.status): \(response.text))"
    }
}
