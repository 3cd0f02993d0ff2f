public import FoundationEssentials

/// The bots' text catalogs on disk: one file per language in `TEXTS_DIR`.
public enum TextFiles {
    /// Reads each language's file; a missing or unreadable one is a configuration error naming `TEXTS_DIR` and the path.
    public static func read<Language: CaseIterable & Hashable>(
        directory: String, fileName: (Language) -> String
    ) throws(ConfigurationError) -> [Language: Data] {
        var files: [Language: Data] = [:]
        for language in Language.allCases {
            let path = directory + "/" + fileName(language)
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigurationError(problems: [.init(variable: "TEXTS_DIR", message: "cannot read \(path)")])
            }
            files[language] = data
        }
        return files
    }
}
