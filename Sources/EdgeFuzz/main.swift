import FoundationEssentials
import Glibc

// edge-fuzz: the webhooks' body handling under a coverage-guided fuzzer (see fuzz/README.md).
//
// `make fuzz` builds it with `-sanitize=fuzzer -DLIBFUZZER`: libFuzzer then drives `LLVMFuzzerTestOneInput`
// (its options: -max_total_time=, -jobs=, corpus directories). A plain build replays files instead:
// `edge-fuzz FILE|DIR...` runs every file through the same checks, so the seed corpus and every crash found
// once stay regression tests (`make test` runs it).
#if LIBFUZZER
    @_silgen_name("LLVMFuzzerRunDriver")
    private func runDriver(
        _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(runDriver(&argc, &argv, fuzzOneInput))
#else
    var files: [String] = []
    for path in CommandLine.arguments.dropFirst() {
        if let names = try? FileManager.default.contentsOfDirectory(atPath: path) {
            files += names.sorted().filter { !$0.hasPrefix(".") }.map { path + "/" + $0 }
        } else {
            files.append(path)
        }
    }
    guard !files.isEmpty else {
        _ = "usage: edge-fuzz FILE|DIR... (replays inputs; `make fuzz` builds the libFuzzer variant)\n".withCString {
            write(2, $0, strlen($0))
        }
        exit(64)
    }
    for file in files {
        guard let data = FileManager.default.contents(atPath: file) else {
            _ = "edge-fuzz: cannot read \(file)\n".withCString { write(2, $0, strlen($0)) }
            exit(66)
        }
        WebhookFuzzing.run(Array(data))
    }
    print("edge-fuzz: \(files.count) inputs replayed, every answer 2xx/4xx JSON, every queued message clean")
#endif
