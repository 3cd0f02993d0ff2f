public import Clients
import Curl
import FoundationEssentials
public import Logging
import Messages
public import Platform

/// Turns a Telegram voice message (or video note) into text, behind the dialog's `transcribe` effect
/// (seed "Сценарий 4"): `getFile`, a size check, the download with the same cap enforced while it arrives,
/// then an OpenAI transcription.
///
/// Any failure is nil (the dialog's `.transcriptionFailed`), logged with its reason; the audio, the text
/// and the bot token (part of the download URL) are never logged.
public struct VoiceTranscriber {
    private let telegram: TelegramClient
    private let openAI: OpenAIClient
    private let model: String
    private let language: String?
    private let maxBytes: Int
    private let timeout: Double
    private let logger: Logger

    /// - Parameters:
    ///   - language: the ISO-639-1 code sent with every file; nil lets Whisper detect the spoken language.
    ///   - maxBytes: `VOICE_MAX_BYTES`; larger files are neither downloaded nor sent.
    ///   - timeout: for the download and for the transcription request each.
    public init(
        telegram: TelegramClient, openAI: OpenAIClient, model: String, language: String? = nil, maxBytes: Int,
        timeout: Double, logger: Logger
    ) {
        self.telegram = telegram
        self.openAI = openAI
        self.model = model
        self.language = language
        self.maxBytes = maxBytes
        self.timeout = timeout
        self.logger = logger
    }

    /// The transcriber `settings` describe (`OPENAI_TRANSCRIBE_MODEL`, `AI_TRANSCRIPTION_LANGUAGE`, `VOICE_MAX_BYTES`,
    /// `OPENAI_TRANSCRIBE_TIMEOUT_SECONDS`).
    public init(settings: AISettings, telegram: TelegramClient, openAI: OpenAIClient, logger: Logger) {
        self.init(
            telegram: telegram, openAI: openAI, model: settings.transcribeModel,
            language: settings.transcriptionLanguage, maxBytes: settings.voiceMaxBytes,
            timeout: settings.transcribeTimeout, logger: logger)
    }

    /// The text of the file, or nil. The dialog's language is not a hint: a parent may speak Russian to the English
    /// menu, and a wrong `language` makes Whisper transcribe (or translate) into that language.
    public func transcribe(fileID: String) -> String? {
        var metadata: Logger.Metadata = ["tg.file_id": "\(fileID)"]
        func failed(_ reason: String) -> String? {
            metadata["reason"] = "\(reason)"
            self.logger.warning("voice not transcribed", metadata: metadata)
            return nil
        }

        let result: JSONValue
        switch self.telegram.call("getFile", ["file_id": .string(fileID)]) {
        case .ok(let value): result = value
        case .retryable(let error, _), .blocked(let error), .rejected(let error): return failed(error)
        }
        let file = result.objectValue
        guard let path = file?["file_path"]?.stringValue, Self.isSafePath(path) else {
            return failed("getFile gave no usable file_path")
        }
        if case .integer(let size)? = file?["file_size"] {
            metadata["file.bytes"] = "\(size)"
            if size > Int64(self.maxBytes) { return failed("file over \(self.maxBytes) bytes") }
        }

        let audio: [UInt8]
        do {
            let response = try self.telegram.downloadFile(path: path, maxBytes: self.maxBytes, timeout: self.timeout)
            guard response.status == 200 else { return failed("download answered HTTP \(response.status)") }
            audio = response.body
        } catch {
            return failed(
                error.code == .responseTooLarge ? "download over \(self.maxBytes) bytes" : "download failed: \(error)")
        }
        guard !audio.isEmpty else { return failed("empty file") }
        metadata["file.bytes"] = "\(audio.count)"

        let (fileName, contentType) = Self.uploadName(forTelegramPath: path)
        do {
            let text = try self.openAI.transcribe(
                audio: audio, fileName: fileName, contentType: contentType, model: self.model,
                language: self.language, timeout: self.timeout)
            metadata["text.chars"] = "\(text.count)"
            self.logger.info("voice transcribed", metadata: metadata)
            return text
        } catch {
            return failed("transcription failed: \(error)")
        }
    }

    /// The file name and media type to upload: Telegram voice notes are Opus in Ogg stored as `.oga`, which
    /// OpenAI only accepts named `.ogg`; video notes are `.mp4`.
    static func uploadName(forTelegramPath path: String) -> (fileName: String, contentType: String) {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let ext = name.contains(".") ? name.split(separator: ".").last.map { $0.lowercased() } ?? "" : ""
        switch ext {
        case "mp4": return ("video_note.mp4", "video/mp4")
        case "mp3", "mpeg", "mpga": return ("audio.mp3", "audio/mpeg")
        case "m4a": return ("audio.m4a", "audio/mp4")
        case "wav": return ("audio.wav", "audio/wav")
        case "webm": return ("audio.webm", "audio/webm")
        default: return ("voice.ogg", "audio/ogg")
        }
    }

    /// A relative path of plain characters (it goes into the download URL unescaped).
    static func isSafePath(_ path: String) -> Bool {
        !path.isEmpty && !path.hasPrefix("/") && !path.contains("..")
            && path.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "/._-".contains($0)) }
    }
}
