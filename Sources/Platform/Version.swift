/// The release of this code base, reported by `GET /` and `botctl --version`.
public enum ChatbotsVersion {
    public static let current = "0.2.0"
}
