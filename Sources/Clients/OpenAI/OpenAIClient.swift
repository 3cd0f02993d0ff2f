public import Curl
import FoundationEssentials
public import Logging
import Messages
public import Platform

/// One message of a chat completion request.
public struct ChatMessage: Sendable, Hashable, Encodable {
    public enum Role: String, Sendable, Hashable, Encodable { case system, user, assistant }
    public let role: Role
    public let content: String

    public init(role: Role, content: String) {
        self.role = role
        self.content = content
    }
}

/// The body of `POST /v1/chat/completions`.
struct ChatCompletionRequest: Encodable {
    var model: String
    var messages: [ChatMessage]
    /// The spec deprecates `max_tokens` for this (o-series models refuse the old name).
    var maxCompletionTokens: Int
    var temperature: Double

    enum CodingKeys: String, CodingKey {
        case model, messages, maxCompletionTokens = "max_completion_tokens", temperature
    }
}

/// The first choice of a chat completion.
public struct ChatCompletion: Sendable, Hashable {
    /// The answer text; nil for a refusal or a tool call.
    public let content: String?
    /// `stop`, `length` (cut by the token cap), `content_filter`, ...
    public let finishReason: String?
    public let refusal: String?
    public let promptTokens: Int?
    public let completionTokens: Int?
}

/// Calls OpenAI's chat completions and audio transcriptions (`<base>/v1/...`, Bearer key) with bounded
/// retries: 429 rate limits, 408/409/5xx and dropped connections are retried honouring `retry-after-ms` /
/// `retry-after`; `insufficient_quota`, other 4xx and timeouts are not; `x-should-retry` overrides.
///
/// Blocking, on the calling worker thread (like `HTTPClient`, not `Sendable`); one slow call holds up only
/// the conversation of that thread.
public struct OpenAIClient {
    private let baseURL: String
    private let apiKey: String
    private let http: HTTPClient
    private let connectTimeout: Double
    private let retry: OpenAIRetryPolicy
    private let logger: Logger
    private let sleep: (Double) -> Void
    /// Called when OpenAI says the account's quota is exhausted (billing, not load): the team is alerted.
    public var onQuotaExhausted: (OpenAIError) -> Void = { _ in }

    /// - Parameter baseURL: the origin without `/v1` (`OPENAI_API_URL`).
    public init(
        baseURL: String, apiKey: String, http: HTTPClient, connectTimeout: Double = 10,
        retry: OpenAIRetryPolicy = OpenAIRetryPolicy(), logger: Logger,
        sleep: @escaping (Double) -> Void = { TransferHeartbeat.sleep(seconds: $0) }
    ) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.apiKey = apiKey
        self.http = http
        self.connectTimeout = connectTimeout
        self.retry = retry
        self.logger = logger
        self.sleep = sleep
    }

    /// A client for `settings.apiURL` and `settings.apiKey`.
    public init(
        settings: AISettings, http: HTTPClient, connectTimeout: Double = 10,
        retry: OpenAIRetryPolicy = OpenAIRetryPolicy(), logger: Logger
    ) {
        self.init(
            baseURL: settings.apiURL, apiKey: settings.apiKey, http: http, connectTimeout: connectTimeout,
            retry: retry, logger: logger)
    }

    /// `POST /v1/chat/completions`; the first choice. A 2xx without text is `.noContent`.
    public func chat(
        model: String, messages: [ChatMessage], maxTokens: Int, temperature: Double, timeout: Double
    ) throws(OpenAIError) -> ChatCompletion {
        let body = ChatCompletionRequest(model: model, messages: messages, maxCompletionTokens: maxTokens, temperature: temperature)
        let request = HTTPRequest(
            method: "POST", url: self.baseURL + "/v1/chat/completions",
            headers: [("Authorization", "Bearer " + self.apiKey), ("Content-Type", "application/json")],
            body: Array(JSONText.encode(body).utf8), connectTimeout: self.connectTimeout, totalTimeout: timeout)
        return try self.perform(request, operation: "chat") { response throws(OpenAIError) in
            try Self.decodeChat(response.body)
        }
    }

    /// `POST /v1/audio/transcriptions` (multipart, `response_format=json`); the recognised text, trimmed.
    /// - Parameter fileName: its extension tells OpenAI the format (`voice.ogg` for Telegram voice notes).
    public func transcribe(
        audio: [UInt8], fileName: String, contentType: String, model: String, language: String?, timeout: Double
    ) throws(OpenAIError) -> String {
        var form = MultipartFormData()
        form.addField(name: "model", value: model)
        if let language { form.addField(name: "language", value: language) }
        form.addField(name: "response_format", value: "json")
        form.addFile(name: "file", fileName: fileName, contentType: contentType, data: audio)
        let request = HTTPRequest(
            method: "POST", url: self.baseURL + "/v1/audio/transcriptions",
            headers: [("Authorization", "Bearer " + self.apiKey), ("Content-Type", form.contentType)],
            body: form.body, connectTimeout: self.connectTimeout, totalTimeout: timeout)
        return try self.perform(request, operation: "transcription") { response throws(OpenAIError) in
            guard let object = JSONValue.parse(response.text)?.objectValue, case .string(let text)? = object["text"]
            else {
                throw OpenAIError(
                    code: .malformedResponse, status: response.status, message: "no text in the transcription answer",
                    isRetryable: true)
            }
            let trimmed = text.trimmingSpaces
            guard !trimmed.isEmpty else {
                throw OpenAIError(
                    code: .noContent, status: response.status, message: "empty transcription", isRetryable: false)
            }
            return trimmed
        }
    }

    /// Sends `request` until it succeeds, fails for good, or the attempts run out.
    private func perform<T>(
        _ request: HTTPRequest, operation: String, decode: (HTTPResponse) throws(OpenAIError) -> T
    ) throws(OpenAIError) -> T {
        var attempt = 0
        while true {
            attempt += 1
            let error: OpenAIError
            do {
                let response = try self.http.perform(request)
                if (200..<300).contains(response.status) {
                    do {
                        return try decode(response)
                    } catch let failure {
                        error = failure
                    }
                } else {
                    error = OpenAIError.classify(
                        status: response.status, headers: response.headers, body: response.body)
                }
            } catch let failure {
                error = OpenAIError.classify(failure)
            }
            var metadata: Logger.Metadata = [
                "openai.operation": "\(operation)", "openai.error": "\(error)", "attempt": "\(attempt)",
            ]
            guard let wait = self.retry.delay(after: error, attempt: attempt, random: Double.random(in: 0..<1)) else {
                if error.isRetryable, let requested = error.retryAfter, requested > self.retry.maxRetryAfter {
                    metadata["openai.retry_after"] = "\(requested)"
                }
                self.logger.warning("openai call failed", metadata: metadata)
                if error.code == .insufficientQuota { self.onQuotaExhausted(error) }
                throw error
            }
            metadata["retry.in_seconds"] = "\(wait)"
            self.logger.info("openai call failed, retrying", metadata: metadata)
            self.sleep(wait)
        }
    }

    /// The first choice of a chat completion body.
    static func decodeChat(_ body: [UInt8]) throws(OpenAIError) -> ChatCompletion {
        guard let object = JSONValue.parse(String(decoding: body, as: UTF8.self))?.objectValue,
            let choice = object["choices"]?.arrayValue?.first?.objectValue,
            let message = choice["message"]?.objectValue
        else {
            throw OpenAIError(
                code: .malformedResponse, status: 200, message: "no choices[0].message", isRetryable: true)
        }
        let usage = object["usage"]?.objectValue
        func integer(_ value: JSONValue?) -> Int? {
            if case .integer(let number)? = value { return Int(number) }
            return nil
        }
        var content: String? = nil
        if case .string(let text)? = message["content"] { content = text }
        var refusal: String? = nil
        if case .string(let text)? = message["refusal"] { refusal = text }
        var finishReason: String? = nil
        if case .string(let text)? = choice["finish_reason"] { finishReason = text }
        return ChatCompletion(
            content: content, finishReason: finishReason, refusal: refusal,
            promptTokens: integer(usage?["prompt_tokens"]), completionTokens: integer(usage?["completion_tokens"]))
    }
}
