import Clocks
import Foundation
import Testing

@testable import GoogleCloud

@Suite("Cloud Storage client")
struct StorageClientTests {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("gcs-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    func file(_ name: String, _ data: Data) throws -> URL {
        let url = folder.appendingPathComponent(name)
        try data.write(to: url)
        return url
    }

    func objectJSON(_ name: String, size: Int, crc: String, generation: Int = 17) -> String {
        "{\"kind\": \"storage#object\", \"name\": \"\(name)\", \"bucket\": \"b\", \"generation\": \"\(generation)\", "
            + "\"metageneration\": \"1\", \"size\": \"\(size)\", \"crc32c\": \"\(crc)\"}"
    }

    @Test("CRC32C and MD5 match the spec's test vectors")
    func hashVectors() throws {
        #expect(CRC32C.checksum(Data("123456789".utf8)) == 0xE306_9283)
        let hello = Data("hello world\n".utf8)
        #expect(CRC32C.base64(CRC32C.checksum(hello)) == "8P9ykg==")
        let hashes = try FileHashes.of(try file("hello.txt", hello))
        #expect(hashes.md5Base64 == "b1kCrCNwJL3QwXbLkwY9xA==")
        var pieces = CRC32C()
        pieces.update(Data("hello ".utf8))
        pieces.update(Data("world\n".utf8))
        #expect(pieces.base64 == "8P9ykg==")
        #expect(CRC32C.parse(base64: "8P9ykg==") == CRC32C.checksum(hello))
    }

    @Test("a small file goes as multipart with its hashes in the metadata, as google-cloud-storage sends it")
    func multipart() async throws {
        let transport = ScriptedTransport([
            .response(.json(objectJSON("in/small file é.txt", size: 12, crc: "8P9ykg==")))
        ])
        let client = StorageClient(caller: caller(transport), endpoint: endpoint)
        let object = try await client.upload(
            file: try file("small.txt", Data("hello world\n".utf8)), bucket: "b", name: "in/small file é.txt",
            contentType: "text/plain", ifGenerationMatch: 0)
        #expect(object.generation == 17)
        let request = try #require(transport.requests.first)
        #expect(request.target == "/upload/storage/v1/b/b/o?uploadType=multipart&ifGenerationMatch=0")
        let contentType = try #require(request.header("Content-Type"))
        #expect(contentType.hasPrefix("multipart/related; boundary="))
        let boundary = String(contentType.dropFirst("multipart/related; boundary=".count))
        let body = String(decoding: request.bodyData, as: UTF8.self)
        #expect(body.hasPrefix("--\(boundary)\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n{"))
        #expect(body.contains("\"crc32c\":\"8P9ykg==\""))
        #expect(body.contains("\"md5Hash\":\"b1kCrCNwJL3QwXbLkwY9xA==\""))
        #expect(body.contains("\"name\":\"in/small file é.txt\""))
        #expect(body.hasSuffix("\r\nContent-Type: text/plain\r\n\r\nhello world\n\r\n--\(boundary)--\r\n"))
    }

    @Test("a CRC32C that differs from what was sent is an integrity error")
    func uploadIntegrity() async throws {
        let transport = ScriptedTransport([.response(.json(objectJSON("x", size: 12, crc: "AAAAAA==")))])
        let client = StorageClient(caller: caller(transport), endpoint: endpoint)
        let error = await #expect(throws: IntegrityError.self) {
            try await client.upload(data: Data("hello world\n".utf8), bucket: "b", name: "x")
        }
        #expect(error?.description.contains("CRC32C sent 8P9ykg==, the server stored AAAAAA==") == true)
    }

    @Test("a retried create-only upload whose object exists with the same CRC32C is taken as done")
    func preconditionAdoption() async throws {
        let conflict = HTTPResponse.json(412, "{\"error\": {\"code\": 412, \"message\": \"conditionNotMet\"}}")
        let transport = ScriptedTransport([
            .response(conflict), .response(.json(objectJSON("in/a.txt", size: 12, crc: "8P9ykg=="))),
            .response(conflict), .response(.json(objectJSON("in/a.txt", size: 12, crc: "AAAAAA=="))),
        ])
        let client = StorageClient(caller: caller(transport), endpoint: endpoint)
        let source = try file("a.txt", Data("hello world\n".utf8))
        let adopted = try await client.upload(file: source, bucket: "b", name: "in/a.txt", ifGenerationMatch: 0)
        #expect(adopted.crc32c == "8P9ykg==")
        #expect(transport.requests[1].target == "/storage/v1/b/b/o/in%2Fa.txt")
        await #expect(throws: GoogleAPIError.self) {
            try await client.upload(file: source, bucket: "b", name: "in/a.txt", ifGenerationMatch: 0)
        }
    }

    @Test("bytes held in memory: a retried create-only upload is adopted likewise, a different object is not")
    func preconditionAdoptionOfData() async throws {
        let conflict = HTTPResponse.json(412, "{\"error\": {\"code\": 412, \"message\": \"conditionNotMet\"}}")
        let transport = ScriptedTransport([
            .response(conflict), .response(.json(objectJSON("w/o/", size: 0, crc: "AAAAAA=="))),
            .response(conflict), .response(.json(objectJSON("in/a.txt", size: 12, crc: "AAAAAA=="))),
        ])
        let client = StorageClient(caller: caller(transport), endpoint: endpoint)
        let adopted = try await client.upload(data: Data(), bucket: "b", name: "w/o/", ifGenerationMatch: 0)
        #expect(adopted.size == 0)
        await #expect(throws: GoogleAPIError.self) {
            try await client.upload(
                data: Data("hello world\n".utf8), bucket: "b", name: "in/a.txt", ifGenerationMatch: 0)
        }
    }

    @Test("a large file goes resumable in 256 KiB-multiple chunks, and resumes from the server's Range after a failure")
    func resumable() async throws {
        var bytes = [UInt8](repeating: 0, count: 700_000)
        for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: index &* 31) }
        let data = Data(bytes)
        let crc = CRC32C.base64(CRC32C.checksum(data))
        let session = "http://127.0.0.1:9999/upload/storage/v1/b/b/o?uploadType=resumable&upload_id=abc"
        let transport = ScriptedTransport([
            .response(HTTPResponse(status: 200, headers: ["Location": session])),
            .response(HTTPResponse(status: 308, headers: ["Range": "bytes=0-262143"])),
            .failure(.connectionLost),
            .response(HTTPResponse(status: 308, headers: ["Range": "bytes=0-393215"])),
            .response(HTTPResponse(status: 308, headers: ["Range": "bytes=0-655359"])),
            .response(.json(objectJSON("in/big.bin", size: 700_000, crc: crc))),
        ])
        var client = StorageClient(caller: caller(transport, retry: Waits().policy(), clock: Waits().clock), endpoint: endpoint)
        client.multipartThreshold = 300_000
        client.chunkSize = 262_144
        let object = try await client.upload(
            file: try file("big.bin", data), bucket: "b", name: "in/big.bin", ifGenerationMatch: 0)
        #expect(object.size == 700_000)
        let requests = transport.requests
        #expect(requests[0].target == "/upload/storage/v1/b/b/o?uploadType=resumable&ifGenerationMatch=0")
        #expect(requests[0].header("X-Upload-Content-Type") == "application/octet-stream")
        #expect(requests[0].header("X-Upload-Content-Length") == "700000")
        #expect((requests[0].bodyJSON as? [String: String])?["name"] == "in/big.bin")
        // The hashes are computed while the chunks go, and sent with the last one.
        #expect((requests[0].bodyJSON as? [String: String])?["crc32c"] == nil)
        let ranges = requests.dropFirst().map { $0.header("Content-Range") }
        #expect(
            ranges == [
                "bytes 0-262143/700000", "bytes 262144-524287/700000", "bytes */700000", "bytes 393216-655359/700000",
                "bytes 655360-699999/700000",
            ])
        #expect(requests.dropFirst().allSatisfy { $0.url.absoluteString == session })
        #expect(requests[3].bodyData.isEmpty, "the status query has no body")
        #expect(requests[4].bodyData == data[393_216..<655_360])
        #expect(requests.last?.header("x-goog-hash") == "crc32c=\(crc)", "CRC32C alone, as Google's clients send")
        #expect(requests.dropFirst().allSatisfy { if case .fileRange = $0.body { true } else { $0.bodyData.isEmpty } })
        #expect(requests.dropFirst().dropLast().allSatisfy { $0.header("x-goog-hash") == nil })
    }

    @Test("over a streaming transport a large file goes in one request but its last 256 KiB, which carries the hash")
    func resumableStreamed() async throws {
        let data = Data((0..<1_049_576).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        let crc = CRC32C.base64(CRC32C.checksum(data))
        let session = "http://127.0.0.1:9999/upload/storage/v1/b/b/o?uploadType=resumable&upload_id=s"
        let transport = ScriptedTransport([
            .response(HTTPResponse(status: 200, headers: ["Location": session])),
            // The server kept only part of the first request: the client goes on from there.
            .response(HTTPResponse(status: 308, headers: ["Range": "bytes=0-786431"])),
            .response(HTTPResponse(status: 308, headers: ["Range": "bytes=0-1048575"])),
            .response(.json(objectJSON("big.bin", size: 1_049_576, crc: crc))),
        ])
        transport.streams = true
        var client = StorageClient(caller: caller(transport), endpoint: endpoint)
        client.multipartThreshold = 300_000
        _ = try await client.upload(file: try file("big.bin", data), bucket: "b", name: "big.bin")
        let puts = transport.requests.dropFirst()
        #expect(
            puts.map { $0.header("Content-Range") } == [
                "bytes 0-1048575/1049576", "bytes 786432-1048575/1049576", "bytes 1048576-1049575/1049576",
            ])
        #expect(puts.dropLast().allSatisfy { $0.header("x-goog-hash") == nil })
        #expect(puts.last?.header("x-goog-hash") == "crc32c=\(crc)")
        #expect(puts.last?.bodyData == data[1_048_576...])
    }

    @Test("downloads are checked against x-goog-hash; a mismatch leaves no file")
    func download() async throws {
        let hello = Data("hello world\n".utf8)
        let transport = ScriptedTransport([
            .response(
                HTTPResponse(
                    status: 200, headers: ["X-Goog-Hash": "crc32c=8P9ykg==,md5=b1kCrCNwJL3QwXbLkwY9xA=="], body: hello)),
            .response(HTTPResponse(status: 200, headers: ["x-goog-hash": "crc32c=AAAAAA=="], body: hello)),
            .response(.json(404, "{\"error\": {\"code\": 404, \"message\": \"No such object: b/none\"}}")),
        ])
        let client = StorageClient(caller: caller(transport), endpoint: endpoint)
        let target = folder.appendingPathComponent("out/nested/result.txt")
        let result = try await client.download(bucket: "b", name: "out/result.txt", to: target)
        #expect(result.verified)
        #expect(result.size == 12)
        #expect(try Data(contentsOf: target) == hello)
        #expect(transport.requests[0].target == "/download/storage/v1/b/b/o/out%2Fresult.txt?alt=media")

        let corrupt = folder.appendingPathComponent("corrupt.txt")
        await #expect(throws: IntegrityError.self) {
            try await client.download(bucket: "b", name: "x", to: corrupt)
        }
        #expect(!FileManager.default.fileExists(atPath: corrupt.path))
        let missing = await #expect(throws: GoogleAPIError.self) {
            try await client.download(bucket: "b", name: "none", to: folder.appendingPathComponent("none"))
        }
        #expect(missing?.httpStatus == 404)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter {
            $0.contains("partial")
        }
        #expect(leftovers.isEmpty)
    }

    @Test("CRC32C is checked when sent, MD5 when it is the only hash or when both are asked for")
    func downloadChecks() async throws {
        let hello = Data("hello world\n".utf8)
        let goodCRC = "8P9ykg=="
        let goodMD5 = "b1kCrCNwJL3QwXbLkwY9xA=="
        let badMD5 = "AAAAAAAAAAAAAAAAAAAAAA=="
        let transport = ScriptedTransport([
            .response(HTTPResponse(status: 200, headers: ["x-goog-hash": "md5=\(goodMD5)"], body: hello)),
            .response(HTTPResponse(status: 200, headers: ["x-goog-hash": "md5=\(badMD5)"], body: hello)),
            .response(
                HTTPResponse(status: 200, headers: ["x-goog-hash": "crc32c=\(goodCRC),md5=\(badMD5)"], body: hello)),
            .response(
                HTTPResponse(status: 200, headers: ["x-goog-hash": "crc32c=\(goodCRC),md5=\(badMD5)"], body: hello)),
            .response(HTTPResponse(status: 200, body: hello)),
            .response(
                HTTPResponse(
                    status: 200, headers: ["x-goog-hash": "crc32c=AAAAAA==", "x-goog-stored-content-encoding": "gzip"],
                    body: hello)),
        ])
        var client = StorageClient(caller: caller(transport), endpoint: endpoint)
        let target = folder.appendingPathComponent("checked.txt")
        #expect(try await client.download(bucket: "b", name: "x", to: target).verified, "MD5 alone is checked")
        await #expect(throws: IntegrityError.self, "a wrong MD5 alone is caught") {
            try await client.download(bucket: "b", name: "x", to: target)
        }
        let crcOnly = try await client.download(bucket: "b", name: "x", to: target)
        #expect(crcOnly.verified, "by default CRC32C answers for the object, as in Google's clients")
        client.downloadCheck = .crc32cAndMD5
        await #expect(throws: IntegrityError.self, "asked for both, a wrong MD5 is caught beside a right CRC32C") {
            try await client.download(bucket: "b", name: "x", to: target)
        }
        let unverified = try await client.download(bucket: "b", name: "x", to: target)
        #expect(!unverified.verified, "no hash from the server: delivered, and said to be unchecked")
        let transcoded = try await client.download(bucket: "b", name: "x", to: target)
        #expect(!transcoded.verified, "stored gzipped, served decompressed: the stored hashes cannot be compared")
        #expect(try Data(contentsOf: target) == hello)
    }

    @Test("list pages and prefix deletion; a 404 on delete counts as already gone")
    func listAndDelete() async throws {
        let transport = ScriptedTransport([
            .response(.json("{\"items\": [\(objectJSON("w/a", size: 1, crc: "x"))], \"nextPageToken\": \"w/a\"}")),
            .response(.json("{\"items\": [\(objectJSON("w/b c", size: 1, crc: "x"))]}")),
            .response(HTTPResponse(status: 204)),
            .response(.json(404, "{}")),
        ])
        let client = StorageClient(caller: caller(transport), endpoint: endpoint)
        let deleted = try await client.deleteAll(bucket: "b", prefix: "w/", parallelism: 1)
        #expect(deleted == 1)
        let targets = transport.requests.map(\.target)
        #expect(targets[0] == "/storage/v1/b/b/o?prefix=w%2F")
        #expect(targets[1] == "/storage/v1/b/b/o?prefix=w%2F&pageToken=w%2Fa")
        #expect(Set(targets[2...]) == ["/storage/v1/b/b/o/w%2Fa", "/storage/v1/b/b/o/w%2Fb%20c"])
        #expect(transport.requests[2...].allSatisfy { $0.method == "DELETE" })
    }

    @Test("an empty listing answers without items")
    func emptyList() async throws {
        let transport = ScriptedTransport([.response(.json("{\"kind\": \"storage#objects\"}"))])
        let page = try await StorageClient(caller: caller(transport), endpoint: endpoint).list(
            bucket: "b", prefix: "p/")
        #expect(page.items.isEmpty && page.prefixes.isEmpty && page.nextPageToken == nil)
    }
}
