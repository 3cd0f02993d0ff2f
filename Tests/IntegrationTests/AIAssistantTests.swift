import BotCore
import Clients
import Foundation
import Platform
import Redis
import TestSupport
import Testing

@testable import Academy

extension OpenAIFakeTests {
    /// `AIAssistant` against the stack's Redis and fake OpenAI.
    @Suite("AI assistant")
    struct AIAssistantTests {
        @Test func aQuestionGetsAPostfilteredAnswer() throws {
            try AIStack.resetOpenAI()
            let settings = try AIStack.settings([
                "AI_ALLOWED_DOMAINS": "allinacademy.example", "AI_ALLOWED_PRICES": "4900",
            ])
            try AIStack.scriptReplies([
                "Пробный урок бесплатный и проходит в Zoom. Подробности: https://allinacademy.example/trial и "
                    + "https://evil.example/deal. Курс стоит 9900 ₽ в месяц."
            ])
            let user = AIStack.newUser()
            let answer = try AIStack.assistant(settings).answer(
                question: "Как проходит пробный урок?", tgUserID: user, language: .ru)

            guard case .reply(let text) = answer else {
                Issue.record("expected a reply, got \(answer)")
                return
            }
            #expect(text.contains("https://allinacademy.example/trial"))
            #expect(!text.contains("evil.example"), "\(text)")
            #expect(!text.contains("9900"), "\(text)")
            #expect(text.hasPrefix("Пробный урок бесплатный"))

            let request = try #require(try AIStack.completionRequests().last)
            #expect(request["model"] as? String == "gpt-4o-mini")
            // The spec deprecates `max_tokens` (o-series models refuse it) for `max_completion_tokens`.
            #expect(request["max_completion_tokens"] as? Int == 400)
            #expect(request["max_tokens"] == nil, "the deprecated max_tokens was sent")
            #expect((request["temperature"] as? Double).map { abs($0 - 0.4) < 1e-9 } == true)
            let messages = try #require(request["messages"] as? [[String: Any]])
            #expect(messages.map { $0["role"] as? String } == ["system", "user"])
            let system = try #require(messages.first?["content"] as? String)
            #expect(system.hasPrefix(settings.systemPrompt))
            #expect(system.contains("All In Academy"))
            #expect(messages.last?["content"] as? String == "Как проходит пробный урок?")

            // The history holds what the parent saw, with a 24 h lifetime.
            let redis = try TestStack.redis()
            let stored = try #require(try redis.command(["GET", AIAssistant.historyKey(tgUserID: user)]).string)
            let turns = try JSONDecoder().decode([AITurn].self, from: Data(stored.utf8))
            #expect(
                turns == [
                    AITurn(role: .user, content: "Как проходит пробный урок?"), AITurn(role: .assistant, content: text),
                ])
            let ttl = try #require(try redis.command(["TTL", AIAssistant.historyKey(tgUserID: user)]).integer)
            #expect(ttl > 86000 && ttl <= 86400)
        }

        @Test func theTwentyFirstQuestionInAnHourIsRateLimitedWithoutACall() throws {
            try AIStack.resetOpenAI()
            let settings = try AIStack.settings()
            #expect(settings.rateLimitPerHour == 20)
            let time = FrozenClock()
            let assistant = try AIStack.assistant(settings, clock: time.clock)
            let user = AIStack.newUser()
            for index in 1...20 {
                let answer = assistant.answer(question: "Вопрос номер \(index)?", tgUserID: user, language: .ru)
                guard case .reply = answer else {
                    Issue.record("question \(index): \(answer)")
                    return
                }
                time.advance(60)  // 20 questions within 20 minutes
            }
            #expect(try AIStack.openAICalls("/v1/chat/completions") == 20)

            #expect(assistant.answer(question: "И ещё один?", tgUserID: user, language: .ru) == .rateLimited)
            #expect(try AIStack.openAICalls("/v1/chat/completions") == 20)
            // Another parent is not affected.
            guard case .reply = assistant.answer(question: "Здравствуйте?", tgUserID: AIStack.newUser(), language: .ru)
            else {
                Issue.record("another user was limited")
                return
            }
            // An hour after the first question a slot is free again.
            time.advance(3600 - 20 * 60 + 1)
            guard case .reply = assistant.answer(question: "А теперь?", tgUserID: user, language: .ru) else {
                Issue.record("still limited after an hour")
                return
            }
        }

        @Test func theHistoryIsSentWithTheNextQuestionAndKeptToTheLastTurns() throws {
            try AIStack.resetOpenAI()
            let settings = try AIStack.settings(["AI_HISTORY_TURNS": "4"])
            let assistant = try AIStack.assistant(settings)
            let user = AIStack.newUser()
            try AIStack.scriptReplies(["Ответ один.", "Ответ два.", "Ответ три.", "Ответ четыре."])
            for question in ["Вопрос один?", "Вопрос два?", "Вопрос три?", "Вопрос четыре?"] {
                guard case .reply = assistant.answer(question: question, tgUserID: user, language: .en) else {
                    Issue.record("no answer to \(question)")
                    return
                }
            }
            let requests = try AIStack.completionRequests()
            try #require(requests.count == 4)
            func conversation(_ request: [String: Any]) -> [String] {
                ((request["messages"] as? [[String: Any]]) ?? []).dropFirst().map {
                    "\($0["role"] as? String ?? "?"): \($0["content"] as? String ?? "?")"
                }
            }
            #expect(conversation(requests[1]) == ["user: Вопрос один?", "assistant: Ответ один.", "user: Вопрос два?"])
            // Four turns at most: the first exchange is gone by the fourth question.
            #expect(
                conversation(requests[3]) == [
                    "user: Вопрос два?", "assistant: Ответ два.", "user: Вопрос три?", "assistant: Ответ три.",
                    "user: Вопрос четыре?",
                ])
            let system = ((requests[3]["messages"] as? [[String: Any]])?.first?["content"] as? String) ?? ""
            #expect(system.contains("(en)"))
            let stored = try #require(
                try TestStack.redis().command(["GET", AIAssistant.historyKey(tgUserID: user)]).string)
            #expect(
                try JSONDecoder().decode([AITurn].self, from: Data(stored.utf8)).map(\.content) == [
                    "Вопрос три?", "Ответ три.", "Вопрос четыре?", "Ответ четыре.",
                ])
        }

        @Test func theHistoryStaysWithinItsTokenBudget() throws {
            try AIStack.resetOpenAI()
            // Each long answer is about 4 + 100 / 4 = 29 tokens, each question 4 + 3 = 7: one exchange fits in 40.
            let settings = try AIStack.settings(["AI_HISTORY_TURNS": "10", "AI_HISTORY_TOKEN_BUDGET": "40"])
            let assistant = try AIStack.assistant(settings)
            let user = AIStack.newUser()
            let long = String(repeating: "word ", count: 19) + "done."
            try AIStack.scriptReplies([long, long, long])
            for question in ["First?", "Second?", "Third?"] {
                guard case .reply = assistant.answer(question: question, tgUserID: user, language: .en) else {
                    Issue.record("no answer to \(question)")
                    return
                }
            }
            let last = try #require(try AIStack.completionRequests().last?["messages"] as? [[String: Any]])
            #expect(last.dropFirst().map { $0["content"] as? String } == ["Second?", long, "Third?"])
        }

        @Test func aRateLimit429IsRetriedAndAnsweredOnce() throws {
            try AIStack.resetOpenAI()
            try AIStack.openAIFault(
                #"{"route":"/v1/chat/completions","mode":"rate_limit","seconds":1,"ms":50,"times":1}"#)
            try AIStack.scriptReplies(["Да, занятия проходят онлайн."])
            let started = now()
            let answer = try AIStack.assistant(try AIStack.settings())
                .answer(question: "Занятия онлайн?", tgUserID: AIStack.newUser(), language: .ru)
            #expect(answer == .reply("Да, занятия проходят онлайн."))
            #expect(try AIStack.openAICalls("/v1/chat/completions") == 2)
            #expect(try AIStack.completionRequests().count == 1)
            // retry-after-ms (50 ms) wins over retry-after (1 s).
            #expect(now() - started < 0.9)
        }

        @Test func insufficientQuotaIsUnavailableAfterExactlyOneCall() throws {
            try AIStack.resetOpenAI()
            try AIStack.openAIFault(#"{"route":"/v1/chat/completions","mode":"insufficient_quota","times":5}"#)
            let user = AIStack.newUser()
            // The hook AcademySetup points at `Alerts` (kind `openai-quota`): called once, for the quota only.
            final class Calls: @unchecked Sendable { var count = 0 }
            let quotaAlerts = Calls()
            let settings = try AIStack.settings()
            var openAI = AIStack.openAI(settings)
            openAI.onQuotaExhausted = { _ in quotaAlerts.count += 1 }
            let assistant = AIAssistant(
                settings: settings, openAI: openAI, redis: LazyRedis(try TestStack.redisConfiguration()), logger: AIStack.silent)
            let answer = assistant.answer(question: "Привет?", tgUserID: user, language: .ru)
            #expect(answer == .unavailable)
            #expect(try AIStack.openAICalls("/v1/chat/completions") == 1)
            #expect(try TestStack.redis().command(["EXISTS", AIAssistant.historyKey(tgUserID: user)]).integer == 0)
            #expect(quotaAlerts.count == 1)
        }

        @Test func aServerErrorWithShouldRetryFalseIsNotRetried() throws {
            try AIStack.resetOpenAI()
            try AIStack.openAIFault(
                #"{"route":"/v1/chat/completions","mode":"server_error","status":500,"should_retry":false,"times":5}"#)
            let answer = try AIStack.assistant(try AIStack.settings())
                .answer(question: "Привет?", tgUserID: AIStack.newUser(), language: .ru)
            #expect(answer == .unavailable)
            #expect(try AIStack.openAICalls("/v1/chat/completions") == 1)
        }

        @Test func serverErrorsAreRetriedAtMostThreeTimes() throws {
            try AIStack.resetOpenAI()
            try AIStack.openAIFault(#"{"route":"/v1/chat/completions","mode":"server_error","status":503,"times":1}"#)
            let assistant = try AIStack.assistant(try AIStack.settings())
            guard case .reply = assistant.answer(question: "Привет?", tgUserID: AIStack.newUser(), language: .ru) else {
                Issue.record("one 503 then success should answer")
                return
            }
            #expect(try AIStack.openAICalls("/v1/chat/completions") == 2)

            try AIStack.resetOpenAI()
            try AIStack.openAIFault(#"{"route":"/v1/chat/completions","mode":"server_error","status":500,"times":10}"#)
            #expect(assistant.answer(question: "Привет?", tgUserID: AIStack.newUser(), language: .ru) == .unavailable)
            #expect(try AIStack.openAICalls("/v1/chat/completions") == 3)
        }

        @Test func aTruncatedAnswerIsRetriedAndASlowOneTimesOut() throws {
            try AIStack.resetOpenAI()
            try AIStack.openAIFault(#"{"route":"/v1/chat/completions","mode":"truncated","times":1}"#)
            try AIStack.scriptReplies(["Готово."])
            let assistant = try AIStack.assistant(try AIStack.settings())
            #expect(
                assistant.answer(question: "Привет?", tgUserID: AIStack.newUser(), language: .ru) == .reply("Готово."))

            try AIStack.resetOpenAI()
            try AIStack.openAIFault(#"{"route":"/v1/chat/completions","mode":"delay","seconds":7,"times":3}"#)
            let slow = try AIStack.assistant(try AIStack.settings(["OPENAI_TIMEOUT_SECONDS": "5"]))
            let started = now()
            #expect(slow.answer(question: "Привет?", tgUserID: AIStack.newUser(), language: .ru) == .unavailable)
            // A timeout is not retried: the parent has waited once already.
            #expect(now() - started < 6.5)
            #expect(try AIStack.openAICalls("/v1/chat/completions") == 1)
        }
    }
}
