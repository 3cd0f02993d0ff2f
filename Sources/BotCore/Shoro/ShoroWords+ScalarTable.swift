/// The per-scalar facts behind `ShoroWords`' fast path, read once from the standard library's Unicode tables.
extension ShoroWords {
    /// What folding and tokenising need to know about one scalar.
    struct ScalarInfo: Equatable {
        /// What `fold` writes for the scalar (lower-cased, `ё` as `е`); nil when it drops it (apostrophes).
        var folded: Unicode.Scalar?
        /// Whether the scalar is a letter or a digit (Unicode alphabetic or numeric), which `tokens` keeps.
        var isWordPart: Bool
    }

    /// The scalars the fast path handles: each is a grapheme cluster of its own next to any other of them (a
    /// `Character` path and a scalar path see the same units), and lower-cases to one scalar of the set.
    ///
    /// Combining marks (U+0300…, Cyrillic U+0483–U+0489) are left out: they join the previous character.
    static let fastRanges: [Range<UInt32>] = [
        0x0000..<0x0180,  // ASCII, Latin-1, Latin Extended-A
        0x02BC..<0x02BD,  // ʼ, an apostrophe
        0x0400..<0x0483, 0x048A..<0x0530,  // Cyrillic and Cyrillic Supplement
        0x2010..<0x2028,  // dashes, quotes, bullets, ellipsis
    ]

    /// The facts about `scalar`, or nil when its text must take the `Character` path.
    @inline(__always)
    static func scalarInfo(_ scalar: Unicode.Scalar) -> ScalarInfo? {
        let value = scalar.value
        if value < 0x0530 { return self.scalarTable[Int(value)] }
        if value >= 0x2010 && value < 0x2028 { return self.scalarTable[0x0530 + Int(value - 0x2010)] }
        return nil
    }

    /// `scalarInfo` for U+0000..<U+0530 followed by U+2010..<U+2028; nil entries are outside `fastRanges`.
    private static let scalarTable: [ScalarInfo?] = {
        let values = Array(0..<UInt32(0x0530)) + Array(UInt32(0x2010)..<0x2028)
        return values.map { value in
            guard let scalar = Unicode.Scalar(value), Self.isFast(scalar) else { return nil }
            // `String.lowercased()` maps each scalar on its own (no context), so one scalar's mapping is the answer.
            let lowered = scalar.properties.lowercaseMapping.unicodeScalars
            guard lowered.count == 1, let lower = lowered.first, Self.isFast(lower) else { return nil }
            let folded: Unicode.Scalar? =
                switch lower {
                case "ё": "е"
                case "'", "’", "`", "ʼ": nil
                default: lower
                }
            return ScalarInfo(folded: folded, isWordPart: scalar.properties.isAlphabetic || scalar.properties.numericType != nil)
        }
    }()

    private static func isFast(_ scalar: Unicode.Scalar) -> Bool {
        self.fastRanges.contains { $0.contains(scalar.value) }
    }
}
