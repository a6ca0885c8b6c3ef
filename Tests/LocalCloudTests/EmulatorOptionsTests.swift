import Foundation
import Testing

@testable import LocalCloud

/// The `batchledger` binary built beside the test bundle.
private func binary() -> URL? {
    var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = folder.appendingPathComponent("batchledger")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        folder.deleteLastPathComponent()
    }
    return nil
}

/// Runs `batchledger emulator ARGS`, which must end by itself (a usage error), and returns its status and output.
private func emulator(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let executable = try #require(binary(), "build the batchledger product first")
    let folder = temporaryDirectory("lc-opts")
    defer { try? FileManager.default.removeItem(at: folder) }
    let output = folder.appendingPathComponent("out.txt")
    FileManager.default.createFile(atPath: output.path, contents: nil)
    let handle = try FileHandle(forWritingTo: output)
    let process = Process()
    process.executableURL = executable
    process.arguments = ["emulator"] + arguments
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    let deadline = Date().addingTimeInterval(30)
    while process.isRunning && Date() < deadline { usleep(10_000) }
    if process.isRunning {
        // It started serving instead of refusing: stop it, the test fails on the status.
        process.terminate()
    }
    process.waitUntilExit()
    return (process.terminationStatus, (try? String(contentsOf: output, encoding: .utf8)) ?? "")
}

@Suite("batchledger emulator options")
struct EmulatorOptionsTests {
    @Test(
        "numbers out of range are usage errors (64) naming the option and the range, never a trap",
        arguments: [
            (["--startup-delay", "1e300"], "--startup-delay", "0 to 86400"),
            (["--startup-delay=-1"], "--startup-delay", "0 to 86400"),
            (["--startup-delay", "nan"], "--startup-delay", "0 to 86400"),
            (["--startup-delay", "inf"], "--startup-delay", "0 to 86400"),
            (["--port", "99999"], "--port", "0 to 65535"),
            (["--port=-1"], "--port", "0 to 65535"),
            (["--port", "8080x"], "--port", "0 to 65535"),
            (["--fault-rate", "2"], "--fault-rate", "0 to 1"),
            (["--fault-rate=-0.5"], "--fault-rate", "0 to 1"),
            (["--max-jobs", "0"], "--max-jobs", "1 to 1099511627776"),
            (["--max-log-entries", "1e300"], "--max-log-entries", "1 to 1099511627776"),
            (["--max-request-bytes=-5"], "--max-request-bytes", "1 to 1099511627776"),
            (["--job-network", "wifi"], "--job-network", "none or host"),
        ])
    func outOfRange(arguments: [String], option: String, range: String) throws {
        let (status, output) = try emulator(arguments)
        #expect(status == 64, "\(arguments): \(output)")
        #expect(output.contains(option) && output.contains(range), "\(arguments): \(output)")
        #expect(!output.contains("Fatal error"))
    }

    @Test("a huge bad value is quoted only in part")
    func hugeValue() throws {
        let huge = String(repeating: "9", count: 100_000)
        for arguments in [["--port", huge], ["--startup-delay", huge], ["--host", huge]] {
            let (status, output) = try emulator(arguments)
            #expect(status == 64, "\(arguments[0]): \(output.prefix(300))")
            #expect(output.utf8.count < 3000, "\(arguments[0]) printed \(output.utf8.count) bytes")
        }
    }

    @Test("a non-loopback --host without --require-auth is a usage error that says why and what to do")
    func nonLoopbackNeedsAuth() throws {
        // 192.0.2.1 (TEST-NET-1) is no address of this machine: nothing can listen there even if it were accepted.
        for host in ["192.0.2.1", "192.0.2.1.example"] {
            let (status, output) = try emulator(["--host", host, "--port", "0"])
            #expect(status == 64, "\(host): \(output)")
            #expect(output.contains("loopback") && output.contains("--require-auth"), "\(host): \(output)")
        }
    }
}
