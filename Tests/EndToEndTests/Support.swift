import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Runs the built `batchledger` binary as a user would, in a folder of its own.
struct CLI {
    let folder: URL
    let ledger: String

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        ledger = folder.appendingPathComponent("test.ledger").path
    }

    static var binary: URL {
        get throws {
            let bundleFolder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            for candidate in [bundleFolder, bundleFolder.deletingLastPathComponent()] {
                let url = candidate.appendingPathComponent("batchledger")
                if FileManager.default.isExecutableFile(atPath: url.path) { return url }
            }
            let found = try #require(
                Bundle.allBundles.map { $0.bundleURL.deletingLastPathComponent().appendingPathComponent("batchledger") }
                    .first { FileManager.default.isExecutableFile(atPath: $0.path) },
                "batchledger was not built next to the tests")
            return found
        }
    }

    static let repository: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func sample(_ name: String) -> String { repository.appendingPathComponent("Samples/\(name)").path }
    static func fixture(_ name: String) -> String {
        repository.appendingPathComponent("Tests/EndToEndTests/Fixtures/\(name)").path
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `batchledger ARGS` to the end (output to files, so a chatty run cannot block on a full pipe).
    @discardableResult
    func run(_ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(180)) throws
        -> Result
    {
        let process = try start(arguments, environment: environment)
        let deadline = ContinuousClock.now + timeout
        while process.process.isRunning {
            if ContinuousClock.now > deadline {
                process.process.terminate()
                Issue.record("batchledger \(arguments.joined(separator: " ")) did not finish within \(timeout)")
                break
            }
            usleep(20_000)
        }
        process.process.waitUntilExit()
        return process.result()
    }

    final class Running: @unchecked Sendable {
        let process: Process
        let out: URL
        let err: URL

        init(process: Process, out: URL, err: URL) {
            self.process = process
            self.out = out
            self.err = err
        }

        var stdout: String { (try? String(contentsOf: out, encoding: .utf8)) ?? "" }
        var stderr: String { (try? String(contentsOf: err, encoding: .utf8)) ?? "" }

        func result() -> Result {
            Result(status: process.terminationStatus, stdout: stdout, stderr: stderr)
        }
    }

    func start(_ arguments: [String], environment: [String: String] = [:]) throws -> Running {
        let process = Process()
        process.executableURL = try Self.binary
        process.arguments = arguments
        process.currentDirectoryURL = folder
        var env = ProcessInfo.processInfo.environment
        env["BATCHLEDGER_LEDGER"] = ledger
        env["NO_COLOR"] = "1"
        // The emulators the tests start answer at once: poll them quickly, by configuration (runs on --local
        // choose this by default; --endpoint runs choose Google's intervals unless told).
        env["BATCHLEDGER_TIMING"] = "responsive"
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let id = UUID().uuidString
        let out = folder.appendingPathComponent("stdout-\(id)")
        let err = folder.appendingPathComponent("stderr-\(id)")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        return Running(process: process, out: out, err: err)
    }

    /// Writes `text` as the flow file `name` in the test's folder; returns its path.
    @discardableResult
    func writeFlow(_ name: String, _ text: String) throws -> String {
        let url = folder.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// `run FLOW --local --secrets-file Samples/local.env --json`, decoded.
    func runLocal(_ flow: String, _ extra: [String] = [], environment: [String: String] = [:]) throws -> (
        Result, Report?
    ) {
        let result = try run(
            ["run", flow, "--local", "--secrets-file", Self.sample("local.env"), "--json"] + extra,
            environment: environment)
        let report = try? JSONDecoder().decode(Report.self, from: Data(result.stdout.utf8))
        return (result, report)
    }

    /// Every byte the ledger holds on disk (the file and its write-ahead log).
    func ledgerBytes() -> Data {
        var data = (try? Data(contentsOf: URL(fileURLWithPath: ledger))) ?? Data()
        data += (try? Data(contentsOf: URL(fileURLWithPath: ledger + "-wal"))) ?? Data()
        return data
    }
}

/// The `--json` document.
struct Report: Decodable {
    struct Task: Decodable {
        var id: String
        var value: String?
        var state: String
        var attempts: Int
        var jobName: String?
        var exitCode: Int?
        var vars: [String: JSONAny]
        var outputFiles: [String: String]
        var failureReason: String?
    }

    var executionId: String
    var state: String
    var tasks: [Task]
}

/// Any JSON value, compared through its text.
struct JSONAny: Decodable, Equatable {
    var text: String

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let string = try? container.decode(String.self) {
            text = string
        } else if let number = try? container.decode(Double.self) {
            text = number.rounded() == number ? String(Int(number)) : String(number)
        } else if let bool = try? container.decode(Bool.self) {
            text = String(bool)
        } else {
            text = "<structure>"
        }
    }
}

/// A standalone `batchledger emulator`, for tests that need faults or a restart.
final class Emulator: @unchecked Sendable {
    let running: CLI.Running
    let endpoint: String

    /// The jobs in the test flows' region (local-project, europe-west9), by name, with their states (a deleted
    /// job is gone).
    func jobStates() throws -> [String: String] {
        let url = URL(string: endpoint + "/v1/projects/local-project/locations/europe-west9/jobs")!
        let semaphore = DispatchSemaphore(value: 0)
        let box = Emulator.Box()
        URLSession.shared.dataTask(with: url) { data, _, _ in
            box.data = data
            semaphore.signal()
        }.resume()
        semaphore.wait()
        let object = try JSONSerialization.jsonObject(with: try #require(box.data)) as? [String: Any]
        let jobs = object?["jobs"] as? [[String: Any]] ?? []
        return Dictionary(
            jobs.compactMap { job in
                guard let name = job["name"] as? String else { return nil }
                return (name, (job["status"] as? [String: Any])?["state"] as? String ?? "")
            }, uniquingKeysWith: { a, _ in a })
    }

    init(_ cli: CLI, arguments: [String] = []) throws {
        running = try cli.start(["emulator", "--port", "0"] + arguments)
        let deadline = ContinuousClock.now + .seconds(20)
        var found: String?
        while found == nil && ContinuousClock.now < deadline {
            if let line = running.stdout.split(separator: "\n").first(where: {
                $0.hasPrefix("LocalCloud listening on ")
            }) {
                found = String(line.dropFirst("LocalCloud listening on ".count))
            } else {
                usleep(20_000)
            }
        }
        endpoint = try #require(found, "the emulator did not start: \(running.stderr)")
    }

    func stats() throws -> [String: Any] {
        let semaphore = DispatchSemaphore(value: 0)
        let box = Box()
        URLSession.shared.dataTask(with: URL(string: endpoint + "/_emulator/stats")!) { data, _, _ in
            box.data = data
            semaphore.signal()
        }.resume()
        semaphore.wait()
        let data = try #require(box.data)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    final class Box: @unchecked Sendable {
        var data: Data?
    }

    deinit {
        running.process.terminate()
        running.process.waitUntilExit()
    }
}
