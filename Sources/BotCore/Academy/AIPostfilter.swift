/// Cleans the AI assistant's reply before it reaches a parent: links outside the allowed domains and
/// prices other than the configured ones are removed, and the text is capped at a sentence or word.
public struct AIPostfilter: Sendable {
    /// The filtered reply and what was removed, for logs.
    public struct Result: Sendable, Hashable {
        public let text: String
        public let removedLinks: Int
        public let removedPrices: Int
        public let truncated: Bool

        public init(text: String, removedLinks: Int, removedPrices: Int, truncated: Bool) {
            self.text = text
            self.removedLinks = removedLinks
            self.removedPrices = removedPrices
            self.truncated = truncated
        }
    }

    /// Hosts links may point to; subdomains are included (`academy.com` allows `www.academy.com`).
    public let allowedDomains: Set<String>
    /// Amounts the assistant may quote, in whole currency units (`4900` allows "4 900 ₽" and "4900 руб.").
    public let allowedPrices: Set<Int>
    /// The longest reply in characters.
    public let maxLength: Int

    public init(allowedDomains: Set<String>, allowedPrices: Set<Int>, maxLength: Int) {
        self.allowedDomains = Set(allowedDomains.map { $0.lowercased() })
        self.allowedPrices = allowedPrices
        self.maxLength = max(1, maxLength)
    }

    /// Filters one reply.
    public func apply(_ reply: String) -> Result {
        var removedLinks = 0
        var text = self.filterMarkdownLinks(reply, removed: &removedLinks)
        text = self.filterBareLinks(text, removed: &removedLinks)
        var removedPrices = 0
        let kept = Self.sentences(text).filter { sentence in
            let disallowed = AIPrices.amounts(in: sentence).filter { !self.isAllowed($0) }.count
            removedPrices += disallowed
            return disallowed == 0
        }
        text = Self.tidy(kept.joined())
        let (capped, truncated) = self.cap(text)
        return Result(text: capped, removedLinks: removedLinks, removedPrices: removedPrices, truncated: truncated)
    }

    /// Whether a link's host is one of the allowed domains or below one.
    func isAllowedLink(_ link: String) -> Bool {
        var rest = Substring(link.lowercased())
        for scheme in ["https://", "http://", "mailto:"] where rest.hasPrefix(scheme) {
            rest = rest.dropFirst(scheme.count)
        }
        if let at = rest.firstIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        let host = String(rest.prefix { !"/?#:".contains($0) })
        return self.allowedDomains.contains { host == $0 || host.hasSuffix("." + $0) }
    }

    private func isAllowed(_ amount: AIPrices.Amount) -> Bool {
        amount.fraction == 0 && self.allowedPrices.contains(amount.whole)
    }

    /// `[text](url)` keeps its text when the url is not allowed.
    private func filterMarkdownLinks(_ text: String, removed: inout Int) -> String {
        var result = ""
        var rest = text[...]
        while let open = rest.firstIndex(of: "["),
            let close = rest[open...].firstIndex(of: "]"),
            rest[close...].hasPrefix("]("),
            let end = rest[close...].firstIndex(of: ")")
        {
            let label = rest[rest.index(after: open)..<close]
            let url = rest[rest.index(close, offsetBy: 2)..<end]
            result += rest[..<open]
            if self.isAllowedLink(String(url)) {
                result += rest[open...end]
            } else {
                removed += 1
                result += label
            }
            rest = rest[rest.index(after: end)...]
        }
        return result + rest
    }

    /// Removes `https://…`, `www.…` and bare `name.tld/…` links (and email domains) that are not allowed.
    private func filterBareLinks(_ text: String, removed: inout Int) -> String {
        var result = ""
        var token = ""
        func flush() {
            let leading = token.prefix { "([<\"'«".contains($0) }
            var core = token.dropFirst(leading.count)
            var trailing = ""
            while let last = core.last, ".,;:!?)]>\"'»".contains(last) {
                trailing = String(last) + trailing
                core.removeLast()
            }
            if AIPrices.looksLikeLink(String(core)), !self.isAllowedLink(String(core)) {
                removed += 1
                result += leading + trailing
            } else {
                result += token
            }
            token = ""
        }
        for character in text {
            if character.isWhitespace {
                flush()
                result.append(character)
            } else {
                token.append(character)
            }
        }
        flush()
        return result
    }

    /// Splits at line breaks and after `.`, `!`, `?`, `…` followed by whitespace and a character that is
    /// not a lower-case letter (so "5 тыс. рублей" stays one sentence); each piece keeps its trailing
    /// whitespace, so joining them gives the text back.
    static func sentences(_ text: String) -> [String] {
        var sentences: [String] = []
        var current = ""
        var endsWithPunctuation = false
        var atBoundary = false
        var atLineBreak = false
        for character in text {
            if character.isWhitespace {
                if endsWithPunctuation { atBoundary = true }
                if character.isNewline { atLineBreak = true }
                current.append(character)
                continue
            }
            if atLineBreak || (atBoundary && !character.isLowercase) {
                sentences.append(current)
                current = ""
            }
            atBoundary = false
            atLineBreak = false
            current.append(character)
            endsWithPunctuation = ".!?…".contains(character)
        }
        if !current.isEmpty { sentences.append(current) }
        return sentences
    }

    /// Single spaces, no space before punctuation, no blank runs of lines, trimmed.
    static func tidy(_ text: String) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            var result = ""
            for character in line {
                if character == " " || character == "\t" {
                    if !result.isEmpty, result.last != " " { result.append(" ") }
                } else {
                    if ",.;:!?…)".contains(character), result.last == " " { result.removeLast() }
                    result.append(character)
                }
            }
            return result.hasSuffix(" ") ? String(result.dropLast()) : result
        }
        var kept: [String] = []
        for line in lines where !(line.isEmpty && (kept.last?.isEmpty ?? true)) {
            kept.append(line)
        }
        while kept.last?.isEmpty == true { kept.removeLast() }
        return kept.joined(separator: "\n")
    }

    /// At most `maxLength` characters: cut after the last full sentence if that keeps at least half,
    /// else at the last space with `…`.
    func cap(_ text: String) -> (String, Bool) {
        guard text.count > self.maxLength else { return (text, false) }
        let window = String(text.prefix(self.maxLength))
        if let end = window.lastIndex(where: { ".!?…".contains($0) }),
            window.distance(from: window.startIndex, to: end) + 1 >= self.maxLength / 2
        {
            return (String(window[...end]), true)
        }
        let room = String(text.prefix(self.maxLength - 1))
        let endsAtWord = text.dropFirst(room.count).first?.isWhitespace ?? true
        let cut = endsAtWord ? room : room.lastIndex(where: \.isWhitespace).map { String(room[..<$0]) } ?? room
        return (cut.trimmingWhitespace() + "…", true)
    }
}
