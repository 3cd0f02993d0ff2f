public import FastCGI
import FoundationEssentials
import Glibc
public import Logging
public import Platform

/// Start-up shared by every executable: configuration, logging, and how to die on bad configuration.
public enum ProcessSetup {
    /// Reads the configuration (exit 78, EX_CONFIG, listing every problem, when invalid) and bootstraps JSON logging.
    public static func load(_ label: String) -> (AppConfig, Logger) {
        do {
            let environment = try EnvironmentFile.effectiveEnvironment(process: ProcessInfo.processInfo.environment)
            let config = try AppConfig(environment: environment)
            JSONLogHandler.bootstrap(level: config.infrastructure.logLevel)
            return (config, Logger(label: label))
        } catch {
            let text = "\(label): \(error)\n"
            _ = text.withCString { Glibc.write(2, $0, strlen($0)) }
            exit(78)
        }
    }

    /// Runs a FastCGI responder: `--socket PATH` creates a unix socket, no argument uses fd 0.
    public static func runResponder(
        _ label: String, arguments: [String], makeHandler: @escaping @Sendable (AppConfig, Logger) -> FastCGIHandler
    ) -> Never {
        let (config, logger) = self.load(label)
        var socketPath: String?
        if let index = arguments.firstIndex(of: "--socket"), index + 1 < arguments.count {
            socketPath = arguments[index + 1]
        }
        let server = FastCGIServerConfiguration(
            socketPath: socketPath, threads: config.infrastructure.fastCGIThreads,
            maxBodyBytes: config.infrastructure.maxBodyBytes)
        logger.info("responder starting", metadata: [
            "fcgi.socket": "\(socketPath ?? "fd 0")", "fcgi.threads": "\(server.threads)",
        ])
        do {
            try runFastCGIServer(server) { _ in makeHandler(config, logger) }
        } catch {
            logger.critical("responder cannot start", metadata: ["error": "\(error)"])
            exit(1)
        }
        logger.info("responder stopped")
        exit(0)
    }
}
