import BotCore
import Curl
import Foundation
import Testing

@testable import Academy
@testable import Clients
@testable import Platform

/// The pure parts of the OpenAI client, the assistant and the transcriber: no stack needed.
@Suite("OpenAI client (pure parts)")
struct OpenAIUnitTests {
    // MARK: multipart

    @Test func aMultipartBodyHasOnePartPerFieldAndTheClosingDelimiter() {
        var form = MultipartFormData(boundary: "XYZ")
        form.addField(name: "model", value: "whisper-1")
        form.addFile(
            name: "file", fileName: "voice.ogg", contentType: "audio/ogg", data: [0x4F, 0x67, 0x67, 0x53, 0x00, 0xFF])
        let expected: [UInt8] =
            Array("--XYZ\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n".utf8)
            + Array("--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"voice.ogg\"\r\n".utf8)
            + Array("Content-Type: audio/ogg\r\n\r\n".utf8) + [0x4F, 0x67, 0x67, 0x53, 0x00, 0xFF]
            + Array("\r\n--XYZ--\r\n".utf8)
        #expect(form.body == expected)
        #expect(form.contentType == "multipart/form-data; boundary=XYZ")
    }

    @Test func multipartNamesCannotBreakOutOfTheirQuotes() {
        var form = MultipartFormData(boundary: "B")
        form.addFile(name: "file", fileName: "a\"b\r\nX-Evil: 1.ogg", contentType: "audio/ogg", data: [1])
        let text = String(decoding: form.body, as: UTF8.self)
        #expect(text.contains("filename=\"a%22b%0D%0AX-Evil: 1.ogg\""))
        #expect(!text.contains("\r\nX-Evil"))
    }

    @Test func boundariesAreRandomAndShortEnough() {
        let boundaries = Set((0..<50).map { _ in MultipartFormData.randomBoundary() })
        #expect(boundaries.count == 50)
        for boundary in boundaries {
            #expect(boundary.count <= 70)
            #expect(boundary.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
        }
    }

    // MARK: error classification

    private func body(type: String?, code: String?) -> [UInt8] {
        let type = type.map { "\"\($0)\"" } ?? "null"
        let code = code.map { "\"\($0)\"" } ?? "null"
        return Array(#"{"error":{"message":"m","type":\#(type),"param":null,"code":\#(code)}}"#.utf8)
    }

    @Test func a429RateLimitIsRetryableAfterTheMillisecondsTheServerNamed() {
        let error = OpenAIError.classify(
            status: 429, headers: ["retry-after": "2", "retry-after-ms": "1500"],
            body: self.body(type: "requests", code: "rate_limit_exceeded"))
        #expect(error.code == .rateLimited)
        #expect(error.isRetryable)
        #expect(error.retryAfter == 1.5)
        #expect(error.apiCode == "rate_limit_exceeded")
        #expect(OpenAIError.classify(status: 429, headers: ["retry-after": "3"], body: []).retryAfter == 3)
    }

    @Test(
        arguments: [
            ("insufficient_quota", "insufficient_quota"), ("insufficient_quota", nil),
            ("requests", "credit_balance_exhausted"),
            (nil, "project_spend_limit_exceeded"),
        ] as [(String?, String?)])
    func a429AboutBillingIsNeverRetried(type: String?, code: String?) {
        let error = OpenAIError.classify(status: 429, headers: [:], body: self.body(type: type, code: code))
        #expect(error.code == .insufficientQuota)
        #expect(!error.isRetryable)
        #expect(OpenAIRetryPolicy().delay(after: error, attempt: 1, random: 0) == nil)
    }

    @Test func serverErrorsAreRetriedUnlessTheServerSaysNo() {
        for status in [500, 502, 503, 504, 408, 409] {
            #expect(OpenAIError.classify(status: status, headers: [:], body: []).isRetryable, "\(status)")
        }
        let refused = OpenAIError.classify(
            status: 500, headers: ["x-should-retry": "false"], body: self.body(type: "server_error", code: nil))
        #expect(refused.code == .serverError)
        #expect(!refused.isRetryable)
        #expect(OpenAIError.classify(status: 400, headers: ["x-should-retry": "true"], body: []).isRetryable)
    }

    @Test func clientErrorsAreNotRetried() {
        #expect(
            OpenAIError.classify(
                status: 401, headers: [:], body: self.body(type: "invalid_request_error", code: "invalid_api_key")
            ).code == .unauthorized)
        for status in [400, 401, 403, 404, 422] {
            #expect(!OpenAIError.classify(status: status, headers: [:], body: []).isRetryable, "\(status)")
        }
    }

    @Test func transportFailuresAreRetriedExceptTimeouts() {
        #expect(OpenAIError.classify(CurlError(code: .couldNotConnect, curlCode: 7, message: "")).isRetryable)
        #expect(OpenAIError.classify(CurlError(code: .connectionLostAfterSend, curlCode: 52, message: "")).isRetryable)
        let timeout = OpenAIError.classify(CurlError(code: .timedOutAfterSend, curlCode: 28, message: ""))
        #expect(timeout.code == .timeout)
        #expect(!timeout.isRetryable)
    }

    @Test func theDescriptionNamesTheCodeButNotTheMessage() {
        let error = OpenAIError.classify(
            status: 429, headers: [:], body: self.body(type: "requests", code: "rate_limit_exceeded"))
        #expect(error.description == "OpenAIError(rateLimited, status 429, rate_limit_exceeded)")
        #expect(String(reflecting: error).hasSuffix(": m"))
    }

    @Test func retriesAreBoundedAndWaitsCapped() {
        let policy = OpenAIRetryPolicy(maxAttempts: 3, baseDelay: 0.5, maxDelay: 8, jitter: 0.25, maxRetryAfter: 20)
        let busy = OpenAIError(code: .serverError, message: "", isRetryable: true)
        #expect(policy.delay(after: busy, attempt: 1, random: 0) == 0.5)
        #expect(policy.delay(after: busy, attempt: 2, random: 0) == 1)
        #expect(policy.delay(after: busy, attempt: 2, random: 1) == 0.75)
        #expect(policy.delay(after: busy, attempt: 3, random: 0) == nil)
        let longWait = OpenAIError(code: .rateLimited, message: "", isRetryable: true, retryAfter: 60)
        #expect(policy.delay(after: longWait, attempt: 1, random: 0) == nil)
        let shortWait = OpenAIError(code: .rateLimited, message: "", isRetryable: true, retryAfter: 2)
        #expect(policy.delay(after: shortWait, attempt: 1, random: 0.9) == 2)
        let capped = OpenAIRetryPolicy(maxAttempts: 10, baseDelay: 0.5, maxDelay: 8, jitter: 0, maxRetryAfter: 20)
        #expect(capped.delay(after: busy, attempt: 9, random: 0) == 8)
    }

    // MARK: answers

    @Test func aChatAnswerIsDecodedDefensively() throws {
        let completion = try OpenAIClient.decodeChat(
            Array(
                #"""
                {"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"Привет","refusal":null,"extra":1},
                "finish_reason":"length"}],"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}}
                """#.utf8))
        #expect(completion.content == "Привет")
        #expect(completion.finishReason == "length")
        #expect(completion.promptTokens == 12)
        let refusal = try OpenAIClient.decodeChat(
            Array(#"{"choices":[{"message":{"content":null,"refusal":"No."}}]}"#.utf8))
        #expect(refusal.content == nil && refusal.refusal == "No.")
        #expect(throws: OpenAIError.self) { try OpenAIClient.decodeChat(Array(#"{"choices":[{"message":{"con"#.utf8)) }
    }

    @Test func anAnswerCutByTheTokenCapEndsAtItsLastSentence() {
        #expect(
            AIAssistant.droppingUnfinishedSentence("Пробный урок бесплатный. Он длится сорок")
                == "Пробный урок бесплатный.")
        #expect(AIAssistant.droppingUnfinishedSentence("Он длится сорок") == "Он длится сорок…")
    }

    @Test func theSystemPromptCarriesTheInterfaceLanguage() {
        let messages = AIAssistant.messages(
            systemPrompt: "PROMPT", language: .en,
            history: [AITurn(role: .user, content: "q"), AITurn(role: .assistant, content: "a")],
            question: "next")
        #expect(messages.map(\.role) == [.system, .user, .assistant, .user])
        #expect(messages[0].content.hasPrefix("PROMPT\n\n") && messages[0].content.contains("(en)"))
        #expect(messages.last?.content == "next")
    }

    // MARK: voice

    @Test func telegramVoiceNotesAreUploadedAsOgg() {
        #expect(VoiceTranscriber.uploadName(forTelegramPath: "voice/file_12.oga") == ("voice.ogg", "audio/ogg"))
        #expect(VoiceTranscriber.uploadName(forTelegramPath: "voice/file_12") == ("voice.ogg", "audio/ogg"))
        #expect(
            VoiceTranscriber.uploadName(forTelegramPath: "video_notes/file_3.mp4") == ("video_note.mp4", "video/mp4"))
    }

    @Test func onlyPlainRelativeFilePathsAreDownloaded() {
        #expect(VoiceTranscriber.isSafePath("voice/file_1.oga"))
        for path in ["", "/etc/passwd", "voice/../../x", "voice/a b.oga", "voice/a?x=1", "voice/%2e%2e"] {
            #expect(!VoiceTranscriber.isSafePath(path), "\(path)")
        }
    }
}

/// `AISettings` through `EnvironmentReader` and `AppConfig`.
@Suite("AI settings")
struct AISettingsTests {
    private let promptFile = FileManager.default.currentDirectoryPath + "/resources/ai/system_prompt.txt"

    private func read(_ environment: [String: String]) -> (AISettings, [ConfigurationError.Problem]) {
        var reader = EnvironmentReader(
            ["AI_SYSTEM_PROMPT_FILE": self.promptFile].merging(environment) { _, new in new })
        let settings = AISettings.read(&reader)
        return (settings, reader.problems)
    }

    @Test func defaultsFollowTheIssue() {
        let (settings, problems) = self.read(["OPENAI_API_KEY": "sk-test-123"])
        #expect(problems.isEmpty, "\(problems)")
        #expect(settings.apiURL == "https://api.openai.com")
        #expect(settings.chatModel == "gpt-4o-mini")
        #expect(settings.maxTokens == 400)
        #expect(settings.temperature == 0.4)
        #expect(settings.timeout == 45)
        #expect(settings.transcribeModel == "whisper-1")
        #expect(settings.transcribeTimeout == 120)
        #expect(settings.transcriptionLanguage == nil, "Whisper detects the spoken language")
        #expect(settings.rateLimitPerHour == 20)
        #expect(settings.historyTurns == 10)
        #expect(settings.historyTokenBudget == 2000)
        #expect(settings.voiceMaxBytes == 20 * 1024 * 1024)
        #expect(settings.systemPrompt.contains("All In Academy"))
        #expect(settings.allowedDomains.isEmpty && settings.allowedPrices.isEmpty)
    }

    @Test func listsAreParsed() {
        let (settings, problems) = self.read([
            "OPENAI_API_KEY": "sk-test-123", "AI_ALLOWED_DOMAINS": "AllInAcademy.example, t.me",
            "AI_ALLOWED_PRICES": "4900, 12000",
            "OPENAI_TEMPERATURE": "0", "OPENAI_API_URL": "http://127.0.0.1:9/",
        ])
        #expect(problems.isEmpty, "\(problems)")
        #expect(settings.allowedDomains == ["allinacademy.example", "t.me"])
        #expect(settings.allowedPrices == [4900, 12000])
        #expect(settings.temperature == 0)
        #expect(settings.apiURL == "http://127.0.0.1:9")
    }

    @Test(arguments: [
        ("OPENAI_API_KEY", "not-a-key"), ("OPENAI_TEMPERATURE", "2.5"), ("OPENAI_TEMPERATURE", "warm"),
        ("OPENAI_MAX_TOKENS", "0"), ("OPENAI_TIMEOUT_SECONDS", "600"), ("AI_RATE_LIMIT_PER_HOUR", "0"),
        ("AI_HISTORY_TURNS", "-1"), ("AI_ALLOWED_DOMAINS", "https://x.example/path"), ("AI_ALLOWED_PRICES", "49.90"),
        ("VOICE_MAX_BYTES", "30000000"), ("AI_SYSTEM_PROMPT_FILE", "/nonexistent/prompt.txt"),
        ("OPENAI_API_URL", "api.openai.com"), ("AI_TRANSCRIPTION_LANGUAGE", "russian"),
        ("AI_TRANSCRIPTION_LANGUAGE", "ru-RU"), ("AI_TRANSCRIPTION_LANGUAGE", "r"), ("AI_TRANSCRIPTION_LANGUAGE", "12"),
    ])
    func anInvalidValueNamesItsVariable(variable: String, value: String) {
        let (_, problems) = self.read(["OPENAI_API_KEY": "sk-test-123"].merging([variable: value]) { _, new in new })
        #expect(problems.map(\.variable) == [variable], "\(problems)")
    }

    @Test func aTranscriptionLanguageIsATwoLetterCode() {
        let (settings, problems) = self.read(["OPENAI_API_KEY": "sk-test-123", "AI_TRANSCRIPTION_LANGUAGE": " KY "])
        #expect(problems.isEmpty, "\(problems)")
        #expect(settings.transcriptionLanguage == "ky")
    }

    @Test func theKeyIsRequiredAndNeverEchoed() {
        #expect(self.read([:]).1.map(\.variable) == ["OPENAI_API_KEY"])
        let (_, problems) = self.read(["OPENAI_API_KEY": "hunter2-secret"])
        #expect(problems.allSatisfy { !$0.message.contains("hunter2") })
    }

    @Test func appConfigReadsTheAssistantOnlyWithTheAcademy() throws {
        let base = [
            "REDIS_URL": "redis://127.0.0.1:6379/0", "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/chatbots",
            "CHAT2DESK_TOKEN": "token", "CHAT2DESK_WEBHOOK_SECRET": "0123456789abcdef", "OPENAI_TEMPERATURE": "9",
        ]
        #expect(try AppConfig(environment: base).ai == nil)
        let academy = base.merging([
            "ACADEMY_ENABLED": "true", "TILDA_WEBHOOK_SECRET": "0123456789abcdef", "RESEND_API_KEY": "re_123",
            "EMAIL_FROM": "Academy <a@example.com>", "TELEGRAM_BOT_TOKEN": "1:abc",
            "TELEGRAM_BOT_USERNAME": "AcademyBot",
            "TELEGRAM_WEBHOOK_SECRET": "tg_secret-0123456789", "MANAGER_EMAIL": "manager@example.com",
            "OPENAI_API_KEY": "sk-test-123", "AI_SYSTEM_PROMPT_FILE": self.promptFile, "OPENAI_TEMPERATURE": "1.1",
            "ACADEMY_MANAGER_LINK": "https://t.me/manager", "ZOOM_ACCOUNT_ID": "acc", "ZOOM_CLIENT_ID": "cid",
            "ZOOM_CLIENT_SECRET": "zoom-secret",
        ]) { _, new in new }
        let config = try AppConfig(environment: academy)
        #expect(config.ai?.temperature == 1.1)
        #expect(config.ai?.rateLimitPerHour == 20)
    }
}
