import FoundationEssentials

/// The Academy AI assistant (OpenAI chat completions) and voice transcription, read from the environment
/// when `ACADEMY_ENABLED` is true.
///
/// The system prompt file is read at start-up, so a missing or empty file is reported by variable name
/// before the first question.
public struct AISettings: Sendable {
    /// `OPENAI_API_URL`: the origin without `/v1` (default `https://api.openai.com`; tests point it at the fake).
    public var apiURL: String
    /// `OPENAI_API_KEY`: `sk-...`. Never logged.
    public var apiKey: String
    /// `OPENAI_CHAT_MODEL` (default `gpt-4o-mini`).
    public var chatModel: String
    /// `OPENAI_MAX_TOKENS` (default 400, 1...16384): the answer's token cap (sent as `max_completion_tokens`).
    public var maxTokens: Int
    /// `OPENAI_TEMPERATURE` (default 0.4, 0...2).
    public var temperature: Double
    /// `OPENAI_TIMEOUT_SECONDS` (default 45, 5...120): one chat request.
    public var timeout: Double
    /// `OPENAI_TRANSCRIBE_MODEL` (default `whisper-1`).
    public var transcribeModel: String
    /// `OPENAI_TRANSCRIBE_TIMEOUT_SECONDS` (default 120, 5...600): one transcription request (and the download).
    public var transcribeTimeout: Double
    /// `AI_TRANSCRIPTION_LANGUAGE`: an ISO-639-1 code (`ru`, `ky`, `en`) sent to Whisper with every voice message.
    /// Unset (the default), Whisper detects the spoken language, which need not be the language of the bot's menu.
    public var transcriptionLanguage: String?
    /// `AI_RATE_LIMIT_PER_HOUR` (default 20, 1...10000): questions per Telegram user in a sliding hour,
    /// shared by every process through Redis.
    public var rateLimitPerHour: Int
    /// `AI_HISTORY_TURNS` (default 10, 0...100): the most messages (questions and answers) kept as context.
    public var historyTurns: Int
    /// `AI_HISTORY_TOKEN_BUDGET` (default 2000, 0...100000): the estimated tokens of history sent with a question.
    public var historyTokenBudget: Int
    /// `AI_SYSTEM_PROMPT_FILE` (default `resources/ai/system_prompt.txt`) and its text, read once at start-up.
    public var systemPromptFile: String
    public var systemPrompt: String
    /// `AI_ALLOWED_DOMAINS`: comma-separated hosts the assistant may link to (subdomains included);
    /// other links are removed from answers.
    public var allowedDomains: [String]
    /// `AI_ALLOWED_PRICES`: comma-separated whole amounts the assistant may quote (e.g. `4900,12000`);
    /// sentences with any other price are removed from answers. Empty: no price survives.
    public var allowedPrices: [Int]
    /// `AI_MAX_REPLY_CHARS` (default 1500, 100...4000): longer answers are cut at a sentence or word.
    public var maxReplyCharacters: Int
    /// `VOICE_MAX_BYTES` (default 20 MB, Telegram's download limit for bots): larger voice files are not
    /// downloaded, and a download that grows past it is abandoned.
    public var voiceMaxBytes: Int

    /// How long the conversation with the assistant is remembered (seed: 24 h).
    public static let historyTTLSeconds = 86400

    public init(
        apiURL: String = "https://api.openai.com", apiKey: String, chatModel: String = "gpt-4o-mini",
        maxTokens: Int = 400, temperature: Double = 0.4, timeout: Double = 45, transcribeModel: String = "whisper-1",
        transcribeTimeout: Double = 120, transcriptionLanguage: String? = nil, rateLimitPerHour: Int = 20, historyTurns: Int = 10,
        historyTokenBudget: Int = 2000, systemPromptFile: String = "", systemPrompt: String,
        allowedDomains: [String] = [], allowedPrices: [Int] = [], maxReplyCharacters: Int = 1500,
        voiceMaxBytes: Int = 20 * 1024 * 1024
    ) {
        self.apiURL = apiURL
        self.apiKey = apiKey
        self.chatModel = chatModel
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.timeout = timeout
        self.transcribeModel = transcribeModel
        self.transcribeTimeout = transcribeTimeout
        self.transcriptionLanguage = transcriptionLanguage
        self.rateLimitPerHour = rateLimitPerHour
        self.historyTurns = historyTurns
        self.historyTokenBudget = historyTokenBudget
        self.systemPromptFile = systemPromptFile
        self.systemPrompt = systemPrompt
        self.allowedDomains = allowedDomains
        self.allowedPrices = allowedPrices
        self.maxReplyCharacters = maxReplyCharacters
        self.voiceMaxBytes = voiceMaxBytes
    }

    /// Reads the AI variables; problems are added to `reader`, each naming its variable.
    public static func read(_ reader: inout EnvironmentReader) -> AISettings {
        let apiKey = reader.string("OPENAI_API_KEY")
        if !apiKey.isEmpty, !apiKey.hasPrefix("sk-") || apiKey.contains(where: { $0.isWhitespace }) {
            reader.fail("OPENAI_API_KEY", "must be an OpenAI key (sk-...)")
        }
        let promptFile = reader.string("AI_SYSTEM_PROMPT_FILE", default: "resources/ai/system_prompt.txt")
        var prompt = ""
        if let data = FileManager.default.contents(atPath: promptFile) {
            prompt = String(decoding: data, as: UTF8.self).trimmingSpaces
            if prompt.isEmpty { reader.fail("AI_SYSTEM_PROMPT_FILE", "\(promptFile) is empty") }
        } else {
            reader.fail("AI_SYSTEM_PROMPT_FILE", "cannot read \(promptFile)")
        }
        return AISettings(
            apiURL: reader.url("OPENAI_API_URL", default: "https://api.openai.com"),
            apiKey: apiKey,
            chatModel: reader.string("OPENAI_CHAT_MODEL", default: "gpt-4o-mini"),
            maxTokens: reader.int("OPENAI_MAX_TOKENS", default: 400, range: 1...16384),
            temperature: Self.temperature(&reader),
            timeout: reader.seconds("OPENAI_TIMEOUT_SECONDS", default: 45, range: 5...120),
            transcribeModel: reader.string("OPENAI_TRANSCRIBE_MODEL", default: "whisper-1"),
            transcribeTimeout: reader.seconds("OPENAI_TRANSCRIBE_TIMEOUT_SECONDS", default: 120, range: 5...600),
            transcriptionLanguage: Self.transcriptionLanguage(&reader),
            rateLimitPerHour: reader.int("AI_RATE_LIMIT_PER_HOUR", default: 20, range: 1...10000),
            historyTurns: reader.int("AI_HISTORY_TURNS", default: 10, range: 0...100),
            historyTokenBudget: reader.int("AI_HISTORY_TOKEN_BUDGET", default: 2000, range: 0...100_000),
            systemPromptFile: promptFile,
            systemPrompt: prompt,
            allowedDomains: Self.domains(&reader),
            allowedPrices: Self.prices(&reader),
            maxReplyCharacters: reader.int("AI_MAX_REPLY_CHARS", default: 1500, range: 100...4000),
            voiceMaxBytes: reader.int("VOICE_MAX_BYTES", default: 20 * 1024 * 1024, range: 1024...(20 * 1024 * 1024)))
    }

    private static func temperature(_ reader: inout EnvironmentReader) -> Double {
        guard let text = reader.optionalString("OPENAI_TEMPERATURE") else { return 0.4 }
        guard let value = Double(text), (0...2).contains(value) else {
            reader.fail("OPENAI_TEMPERATURE", "must be a number in 0...2, got \"\(text)\"")
            return 0.4
        }
        return value
    }

    private static func transcriptionLanguage(_ reader: inout EnvironmentReader) -> String? {
        guard let text = reader.optionalString("AI_TRANSCRIPTION_LANGUAGE") else { return nil }
        let code = text.lowercased()
        // Whisper takes ISO-639-1 only: two letters, no region (`ru`, not `ru-RU` or `rus`).
        guard code.count == 2, code.allSatisfy({ $0 >= "a" && $0 <= "z" }) else {
            reader.fail("AI_TRANSCRIPTION_LANGUAGE", "must be a two-letter ISO-639-1 code like ru, ky or en, got \"\(text)\"")
            return nil
        }
        return code
    }

    private static func domains(_ reader: inout EnvironmentReader) -> [String] {
        guard let text = reader.optionalString("AI_ALLOWED_DOMAINS") else { return [] }
        var domains: [String] = []
        for item in text.split(separator: ",").map({ $0.trimmingSpaces.lowercased() }) where !item.isEmpty {
            let labels = item.split(separator: ".", omittingEmptySubsequences: false)
            guard labels.count >= 2,
                labels.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" } })
            else {
                reader.fail(
                    "AI_ALLOWED_DOMAINS", "must be comma-separated host names like academy.example, got \"\(item)\"")
                return []
            }
            domains.append(item)
        }
        return domains
    }

    private static func prices(_ reader: inout EnvironmentReader) -> [Int] {
        guard let text = reader.optionalString("AI_ALLOWED_PRICES") else { return [] }
        var prices: [Int] = []
        for item in text.split(separator: ",").map({ $0.trimmingSpaces }) where !item.isEmpty {
            guard let value = Int(item), value >= 0 else {
                reader.fail(
                    "AI_ALLOWED_PRICES", "must be comma-separated whole amounts like 4900,12000, got \"\(item)\"")
                return []
            }
            prices.append(value)
        }
        return prices
    }
}
