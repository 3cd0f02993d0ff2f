/// Configuration the academy dialog needs on every turn; never stored with the dialog state.
public struct AcademySettings: Sendable {
    /// The validated text catalogs.
    public var texts: AcademyTexts
    /// The `file_id` of the welcome video note; nil skips it. A `file_id` is bot-specific.
    public var welcomeVideoNoteFileID: String?
    /// Where parents reach a person, e.g. `https://t.me/academy_manager`; shown in error texts.
    public var managerLink: String
    public var timeZone: AcademyTimeZone
    /// How many days ahead free slots are offered (the seed: 14).
    public var slotWindowDays: Int
    /// Slots starting sooner than this many seconds from now are not offered (`SLOT_MIN_NOTICE_HOURS`).
    public var minimumNoticeSeconds: Double
    /// Longer voice messages are not transcribed.
    public var maxVoiceSeconds: Int
    /// Larger voice files are not transcribed (Telegram bots can download up to 20 MB).
    public var maxVoiceBytes: Int
    /// At most this many time buttons are shown for one day.
    public var maxTimesPerDay: Int

    public init(
        texts: AcademyTexts,
        welcomeVideoNoteFileID: String?,
        managerLink: String,
        timeZone: AcademyTimeZone,
        slotWindowDays: Int = 14,
        minimumNoticeSeconds: Double,
        maxVoiceSeconds: Int = 120,
        maxVoiceBytes: Int = 20 * 1024 * 1024,
        maxTimesPerDay: Int = 24
    ) {
        self.texts = texts
        self.welcomeVideoNoteFileID = welcomeVideoNoteFileID
        self.managerLink = managerLink
        self.timeZone = timeZone
        self.slotWindowDays = slotWindowDays
        self.minimumNoticeSeconds = minimumNoticeSeconds
        self.maxVoiceSeconds = maxVoiceSeconds
        self.maxVoiceBytes = maxVoiceBytes
        self.maxTimesPerDay = maxTimesPerDay
    }
}
