import Foundation
import Platform
import TestSupport
import Testing

@testable import Academy

extension OpenAIFakeTests {
    /// `VoiceTranscriber` against the stack's fake Telegram (getFile + download) and fake OpenAI (transcription).
    /// The fake Telegram is shared with other suites, so files get unique ids and faults target only their own
    /// download path.
    @Suite("Voice transcriber")
    struct VoiceTranscriberTests {
        private func transcriber(
            _ overrides: [String: String] = [:], logs: CapturedLogs? = nil
        ) throws
            -> VoiceTranscriber
        {
            let settings = try AIStack.settings(overrides)
            let logger = logs?.logger ?? AIStack.silent
            return VoiceTranscriber(
                settings: settings, telegram: try AIStack.telegram(), openAI: AIStack.openAI(settings, logger: logger),
                logger: logger)
        }

        @Test func aVoiceFileIsDownloadedAndTranscribed() throws {
            try AIStack.resetOpenAI()
            try AIStack.control(
                try AIStack.openAIURL(), "POST", "/_fake/transcriptions/texts",
                json: #"["Хочу записать дочь на пробный урок"]"#)
            let audio = AIStack.fakeOgg(48_000)
            let file = try AIStack.uploadVoice(audio)
            let logs = CapturedLogs()

            let text = try self.transcriber(logs: logs).transcribe(fileID: file.fileID)

            #expect(text == "Хочу записать дочь на пробный урок")
            let received = try #require(try AIStack.transcriptions().last)
            #expect(received["model"] as? String == "whisper-1")
            // No language configured: Whisper detects the one spoken (a parent may speak Russian to an English menu).
            #expect(received["language"] as? String == nil, "language sent: \(received["language"] ?? "-")")
            #expect(received["filename"] as? String == "voice.ogg")
            #expect(received["content_type"] as? String == "audio/ogg")
            #expect(received["size"] as? Int == audio.count)
            #expect(received["response_format"] as? String == "json")
            // Logs name the file, never the token (part of the download URL) or the text.
            let token = try TestStack.variable("TELEGRAM_BOT_TOKEN")
            #expect(!logs.all.isEmpty)
            for line in logs.all {
                #expect(!line.contains(token) && !line.contains("дочь"), "\(line)")
            }
        }

        @Test func theInterfaceLanguageIsNotSentButAConfiguredOneIs() throws {
            try AIStack.resetOpenAI()
            let file = try AIStack.uploadVoice(AIStack.fakeOgg(2000))
            #expect(try self.transcriber().transcribe(fileID: file.fileID) != nil)
            let detected = try #require(try AIStack.transcriptions().last)
            #expect(detected["language"] as? String == nil, "the interface language was sent: \(detected["language"] ?? "-")")

            let configured = try self.transcriber(["AI_TRANSCRIPTION_LANGUAGE": "ky"])
            #expect(configured.transcribe(fileID: file.fileID) != nil)
            #expect(try AIStack.transcriptions().last?["language"] as? String == "ky")
        }

        @Test func aFileTelegramCallsTooBigIsNotTranscribed() throws {
            try AIStack.resetOpenAI()
            // Telegram refuses getFile over 20 MB.
            let file = try AIStack.uploadVoice(AIStack.fakeOgg(100), declaredSize: 25 * 1024 * 1024)
            #expect(try self.transcriber().transcribe(fileID: file.fileID) == nil)
            #expect(try AIStack.downloads(of: file.path) == 0)
            #expect(try AIStack.openAICalls("/v1/audio/transcriptions") == 0)
        }

        @Test func aFileOverTheLimitIsNotDownloaded() throws {
            try AIStack.resetOpenAI()
            let file = try AIStack.uploadVoice(AIStack.fakeOgg(4096))
            #expect(
                try self.transcriber(["VOICE_MAX_BYTES": "2048"]).transcribe(fileID: file.fileID) == nil)
            #expect(try AIStack.downloads(of: file.path) == 0)
            #expect(try AIStack.openAICalls("/v1/audio/transcriptions") == 0)
        }

        @Test func aDownloadGrowingPastTheLimitIsAbandoned() throws {
            try AIStack.resetOpenAI()
            // getFile claims 1 KB; the download is 64 KB.
            let file = try AIStack.uploadVoice(AIStack.fakeOgg(64 * 1024), declaredSize: 1024)
            #expect(
                try self.transcriber(["VOICE_MAX_BYTES": "4096"]).transcribe(fileID: file.fileID) == nil)
            #expect(try AIStack.downloads(of: file.path) == 1)
            #expect(try AIStack.openAICalls("/v1/audio/transcriptions") == 0)
        }

        @Test(arguments: ["drop", "cut_body"])
        func aDroppedDownloadIsAFailure(mode: String) throws {
            try AIStack.resetOpenAI()
            let file = try AIStack.uploadVoice(AIStack.fakeOgg(16_000))
            let route = "^/file/bot[^/]+/" + NSRegularExpression.escapedPattern(for: file.path) + "$"
            // libcurl silently repeats a GET whose reused keep-alive connection died before any answer, so the
            // fault stays for a few requests: every attempt is dropped.
            let fault = try JSONSerialization.data(withJSONObject: [
                "route": route, "mode": mode, "bytes": 1000, "times": 5,
            ])
            try AIStack.telegramFault(String(decoding: fault, as: UTF8.self))
            #expect(try self.transcriber().transcribe(fileID: file.fileID) == nil)
            #expect(try AIStack.downloads(of: file.path) >= 1)
            #expect(try AIStack.openAICalls("/v1/audio/transcriptions") == 0)
        }

        @Test func anUnknownFileIsAFailure() throws {
            try AIStack.resetOpenAI()
            #expect(
                try self.transcriber().transcribe(fileID: "it-no-such-file-" + TestStack.randomHex(8))
                    == nil)
            #expect(try AIStack.openAICalls("/v1/audio/transcriptions") == 0)
        }

        @Test func aFailingTranscriptionIsAFailure() throws {
            try AIStack.resetOpenAI()
            try AIStack.openAIFault(
                #"{"route":"/v1/audio/transcriptions","mode":"server_error","status":500,"times":10}"#)
            let file = try AIStack.uploadVoice(AIStack.fakeOgg(8000))
            #expect(try self.transcriber().transcribe(fileID: file.fileID) == nil)
            #expect(try AIStack.openAICalls("/v1/audio/transcriptions") == 3)

            try AIStack.resetOpenAI()
            try AIStack.openAIFault(#"{"route":"/v1/audio/transcriptions","mode":"insufficient_quota","times":10}"#)
            #expect(try self.transcriber().transcribe(fileID: file.fileID) == nil)
            #expect(try AIStack.openAICalls("/v1/audio/transcriptions") == 1)
        }
    }
}
