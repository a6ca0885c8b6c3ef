import Foundation
import Testing

@testable import LocalCloud

@Suite("Cloud Storage")
struct StorageTests {
    @Test("CRC32C and MD5 match the spec's test vector")
    func hashes() {
        let hashes = ObjectHashes.of(Data("hello world\n".utf8))
        #expect(hashes.crc32c == "8P9ykg==")
        #expect(hashes.md5Hash == "b1kCrCNwJL3QwXbLkwY9xA==")
    }

    @Test("buckets: create, 409 on repeat, get, 404 when absent")
    func buckets() async throws {
        try await withCloud { _, client in
            let created = try await client.send(
                "POST", "/storage/v1/b?project=p", json: .object(["name": .string("bk1")]))
            #expect(created.status == 200)
            #expect(created.json["name"] == .string("bk1"))
            #expect(
                try await client.send("POST", "/storage/v1/b?project=p", json: .object(["name": .string("bk1")])).status
                    == 409)
            #expect(try await client.get("/storage/v1/b/bk1").status == 200)
            let missing = try await client.get("/storage/v1/b/nope")
            #expect(missing.status == 404)
            #expect(missing.json["error"]?["errors"]?.arrayValue?.first?["reason"] == .string("notFound"))
        }
    }

    @Test("media upload, metadata, download with Range and x-goog-hash, delete 204")
    func mediaRoundTrip() async throws {
        try await withCloud { _, client in
            let upload = try await client.send(
                "POST", "/upload/storage/v1/b/bkt/o?uploadType=media&name=dir%2Fhello.txt",
                body: Data("hello world\n".utf8),
                headers: ["Content-Type": "text/plain"])
            #expect(upload.status == 200)
            #expect(upload.json["crc32c"] == .string("8P9ykg=="))
            #expect(upload.json["size"] == .string("12"))
            #expect(upload.json["contentType"] == .string("text/plain"))
            let generation = try #require(upload.json["generation"]?.stringValue)
            let meta = try await client.get("/storage/v1/b/bkt/o/dir%2Fhello.txt")
            #expect(meta.json["generation"]?.stringValue == generation)
            let download = try await client.get("/download/storage/v1/b/bkt/o/dir%2Fhello.txt?alt=media")
            #expect(download.text == "hello world\n")
            #expect(download.header("x-goog-hash") == "crc32c=8P9ykg==,md5=b1kCrCNwJL3QwXbLkwY9xA==")
            let range = try await client.send(
                "GET", "/storage/v1/b/bkt/o/dir%2Fhello.txt?alt=media", headers: ["Range": "bytes=6-10"])
            #expect(range.status == 206)
            #expect(range.text == "world")
            #expect(range.header("Content-Range") == "bytes 6-10/12")
            let suffix = try await client.send(
                "GET", "/storage/v1/b/bkt/o/dir%2Fhello.txt?alt=media", headers: ["Range": "bytes=-6"])
            #expect(suffix.text == "world\n")
            for empty in ["bytes=-0", "bytes=--1", "bytes=20-"] {
                let refused = try await client.send(
                    "GET", "/storage/v1/b/bkt/o/dir%2Fhello.txt?alt=media", headers: ["Range": empty])
                #expect(refused.status == 416, "\(empty)")
            }
            let unencoded = try await client.get("/download/storage/v1/b/bkt/o/dir/hello.txt?alt=media")
            #expect(unencoded.text == "hello world\n", "an object name sent with raw slashes")
            let deleted = try await client.send("DELETE", "/storage/v1/b/bkt/o/dir%2Fhello.txt")
            #expect(deleted.status == 204)
            #expect(deleted.body.isEmpty)
            #expect(try await client.get("/storage/v1/b/bkt/o/dir%2Fhello.txt").status == 404)
        }
    }

    @Test("a 2 MB upload with Expect: 100-continue is answered 100 Continue before its body (curl sends Expect)")
    func largeUploadGetsContinue() async throws {
        try await withCloud { cloud, client in
            let data = Data((0..<2_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
            // The server must speak first, before any byte of the body: a client that waited out its Expect timer
            // instead would stall every large upload (1 s with curl).
            let (interim, final) = try await RawHTTP.expectingContinue(
                "/upload/storage/v1/b/bkt/o?uploadType=media&name=expect.bin", to: cloud.endpoint, body: data)
            #expect(interim == "HTTP/1.1 100 Continue", "\(interim)")
            #expect(final.status == 200, "\(final.head)")
            let stored = try await client.get("/download/storage/v1/b/bkt/o/expect.bin?alt=media")
            #expect(stored.body == data)
        }
    }

    @Test("multipart upload verifies the client's crc32c and md5Hash")
    func multipartHashes() async throws {
        try await withCloud { _, client in
            func multipart(_ metadata: String) -> Data {
                Data(
                    ("--==b==\r\ncontent-type: application/json; charset=UTF-8\r\n\r\n\(metadata)\r\n"
                        + "--==b==\r\ncontent-type: text/plain\r\n\r\nhello world\n\r\n--==b==--").utf8)
            }
            let headers = ["Content-Type": "multipart/related; boundary=\"==b==\""]
            let good = try await client.send(
                "POST", "/upload/storage/v1/b/bkt/o?uploadType=multipart",
                body: multipart(#"{"name": "in/small.txt", "crc32c": "8P9ykg=="}"#), headers: headers)
            #expect(good.status == 200)
            #expect(good.json["contentType"] == .string("text/plain"))
            let badCRC = try await client.send(
                "POST", "/upload/storage/v1/b/bkt/o?uploadType=multipart",
                body: multipart(#"{"name": "in/bad.txt", "crc32c": "AAAAAA=="}"#), headers: headers)
            #expect(badCRC.status == 400)
            #expect(badCRC.json["error"]?["message"]?.stringValue?.contains("CRC32C") == true)
            let badMD5 = try await client.send(
                "POST", "/upload/storage/v1/b/bkt/o?uploadType=multipart",
                body: multipart(#"{"name": "in/bad.txt", "md5Hash": "AAAAAAAAAAAAAAAAAAAAAA=="}"#), headers: headers)
            #expect(badMD5.status == 400)
            let badHeader = try await client.send(
                "POST", "/upload/storage/v1/b/bkt/o?uploadType=media&name=h.txt", body: Data("x".utf8),
                headers: ["x-goog-hash": "crc32c=AAAAAA=="])
            #expect(badHeader.status == 400)
            #expect(try await client.get("/storage/v1/b/bkt/o/in%2Fbad.txt").status == 404)
        }
    }

    @Test("uploads go to files as they arrive: a 5 MiB media upload and a 412, with no spooled body left behind")
    func spooledUploads() async throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("spool-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: state) }
        let uploads = state.appendingPathComponent("storage/uploads")
        try FileManager.default.createDirectory(at: uploads, withIntermediateDirectories: true)
        // A body a previous emulator was receiving when it stopped.
        try Data("partial".utf8).write(to: uploads.appendingPathComponent("spool-left-by-a-crash"))
        try await withCloud(LocalCloudConfiguration(stateDirectory: state)) { _, client in
            let spooled = { () -> [String] in
                let names = try FileManager.default.subpathsOfDirectory(atPath: state.path)
                return names.filter { ($0 as NSString).lastPathComponent.hasPrefix("spool-") }
            }
            #expect(try spooled().isEmpty, "leftovers are removed at start")
            let data = Data((0..<(5 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) })
            let hashes = ObjectHashes.of(data)
            let upload = try await client.send(
                "POST", "/upload/storage/v1/b/bkt/o?uploadType=media&name=big.bin&ifGenerationMatch=0", body: data,
                headers: ["x-goog-hash": "crc32c=\(hashes.crc32c),md5=\(hashes.md5Hash)"])
            #expect(upload.status == 200)
            #expect(upload.json["size"] == .string(String(5 << 20)))
            #expect(upload.json["md5Hash"] == .string(hashes.md5Hash))
            let again = try await client.send(
                "POST", "/upload/storage/v1/b/bkt/o?uploadType=media&name=big.bin&ifGenerationMatch=0", body: data)
            #expect(again.status == 412)
            let corrupt = try await client.send(
                "POST", "/upload/storage/v1/b/bkt/o?uploadType=media&name=bad.bin", body: data,
                headers: ["x-goog-hash": "crc32c=AAAAAA=="])
            #expect(corrupt.status == 400)
            let download = try await client.get("/download/storage/v1/b/bkt/o/big.bin?alt=media")
            #expect(download.body == data)
            #expect(try spooled().isEmpty, "each spooled body is moved into place or removed")
        }
    }

    @Test("resumable upload: 256 KiB chunks answer 308 with Range, a status query resumes, the last chunk finalizes")
    func resumable() async throws {
        try await withCloud { _, client in
            let data = Data((0..<600_000).map { UInt8($0 % 251) })
            let start = try await client.send(
                "POST", "/upload/storage/v1/b/bkt/o?uploadType=resumable",
                json: .object(["name": .string("big/blob.bin")]),
                headers: ["X-Upload-Content-Type": "application/x-test"])
            #expect(start.status == 200)
            let location = try #require(start.header("Location"))
            let first = try await client.send(
                "PUT", location, body: data[0..<262_144], headers: ["Content-Range": "bytes 0-262143/*"])
            #expect(first.status == 308)
            #expect(first.header("Range") == "bytes=0-262143")
            let status = try await client.send(
                "PUT", location, body: Data(), headers: ["Content-Range": "bytes */600000"])
            #expect(status.status == 308)
            #expect(status.header("Range") == "bytes=0-262143")
            let overlapping = try await client.send(
                "PUT", location, body: data[0..<524_288], headers: ["Content-Range": "bytes 0-524287/*"])
            #expect(overlapping.status == 308)
            #expect(overlapping.header("Range") == "bytes=0-524287")
            let crc = ObjectHashes.of(data).crc32c
            let last = try await client.send(
                "PUT", location, body: data[524_288...],
                headers: ["Content-Range": "bytes 524288-599999/600000", "x-goog-hash": "crc32c=\(crc)"])
            #expect(last.status == 200)
            #expect(last.json["size"] == .string("600000"))
            #expect(last.json["contentType"] == .string("application/x-test"))
            let after = try await client.send(
                "PUT", location, body: Data(), headers: ["Content-Range": "bytes */600000"])
            #expect(after.status == 200)
            let download = try await client.get("/storage/v1/b/bkt/o/big%2Fblob.bin?alt=media")
            #expect(download.body == data)
            let unknown = try await client.send(
                "PUT", "/upload/storage/v1/b/bkt/o?uploadType=resumable&upload_id=nope", body: Data("x".utf8))
            #expect(unknown.status == 404)
        }
    }

    @Test("preconditions: ifGenerationMatch / ifGenerationNotMatch on insert, get and delete")
    func preconditions() async throws {
        try await withCloud { _, client in
            let first = try await client.send(
                "POST", "/upload/storage/v1/b/bkt/o?uploadType=media&name=p.txt&ifGenerationMatch=0",
                body: Data("1".utf8))
            #expect(first.status == 200)
            let generation = try #require(first.json["generation"]?.stringValue)
            let refused = try await client.send(
                "POST", "/upload/storage/v1/b/bkt/o?uploadType=media&name=p.txt&ifGenerationMatch=0",
                body: Data("2".utf8))
            #expect(refused.status == 412)
            #expect(refused.json["error"]?["errors"]?.arrayValue?.first?["reason"] == .string("conditionNotMet"))
            let resumable = try await client.send(
                "POST", "/upload/storage/v1/b/bkt/o?uploadType=resumable&ifGenerationMatch=0",
                json: .object(["name": .string("p.txt")]))
            #expect(resumable.status == 412)
            let second = try await client.send(
                "POST", "/upload/storage/v1/b/bkt/o?uploadType=media&name=p.txt&ifGenerationMatch=\(generation)",
                body: Data("2".utf8))
            #expect(second.status == 200)
            let newGeneration = try #require(second.json["generation"]?.stringValue)
            #expect(Int64(newGeneration)! > Int64(generation)!)
            #expect(
                try await client.get("/storage/v1/b/bkt/o/p.txt?ifGenerationNotMatch=\(newGeneration)").status == 412)
            #expect(try await client.get("/storage/v1/b/bkt/o/p.txt?generation=\(generation)").status == 404)
            #expect(
                try await client.send("DELETE", "/storage/v1/b/bkt/o/p.txt?ifGenerationMatch=\(generation)").status
                    == 412)
            #expect(
                try await client.send("DELETE", "/storage/v1/b/bkt/o/p.txt?ifGenerationMatch=\(newGeneration)").status
                    == 204)
        }
    }

    @Test("list: prefix, delimiter, maxResults and pageToken")
    func listing() async throws {
        try await withCloud { _, client in
            for name in ["a/1.txt", "a/2.txt", "a/sub/3.txt", "b/4.txt", "top.txt"] {
                let encoded = name.replacingOccurrences(of: "/", with: "%2F")
                _ = try await client.send(
                    "POST", "/upload/storage/v1/b/lst/o?uploadType=media&name=\(encoded)", body: Data("x".utf8))
            }
            let root = try await client.get("/storage/v1/b/lst/o?delimiter=%2F")
            #expect(root.json["items"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["top.txt"])
            #expect(root.json["prefixes"] == .array([.string("a/"), .string("b/")]))
            let underA = try await client.get("/storage/v1/b/lst/o?prefix=a%2F&delimiter=%2F")
            #expect(underA.json["items"]?.arrayValue?.count == 2)
            #expect(underA.json["prefixes"] == .array([.string("a/sub/")]))
            var names: [String] = []
            var token: String?
            repeat {
                let page = try await client.get(
                    "/storage/v1/b/lst/o?maxResults=2"
                        + (token.map {
                            "&pageToken=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"
                        } ?? ""))
                names += (page.json["items"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
                token = page.json["nextPageToken"]?.stringValue
            } while token != nil
            #expect(names == ["a/1.txt", "a/2.txt", "a/sub/3.txt", "b/4.txt", "top.txt"])
            let empty = try await client.get("/storage/v1/b/lst/o?prefix=zzz")
            #expect(empty.json == .object(["kind": .string("storage#objects")]))
        }
    }

    @Test("a file changed behind the API becomes a new generation with fresh hashes")
    func fileChangedBehindAPI() async throws {
        try await withCloud { cloud, client in
            let first = try await client.send(
                "POST", "/upload/storage/v1/b/side/o?uploadType=media&name=f.txt", body: Data("one".utf8))
            let file = cloud.dataDirectory.appendingPathComponent("storage/buckets/side/f.txt")
            // A different size tells the change apart even when the modification time does not move.
            try Data("hello world\n".utf8).write(to: file)
            let after = try await client.get("/storage/v1/b/side/o/f.txt")
            #expect(after.json["crc32c"] == .string("8P9ykg=="))
            #expect(after.json["generation"] != first.json["generation"])
        }
    }
}
