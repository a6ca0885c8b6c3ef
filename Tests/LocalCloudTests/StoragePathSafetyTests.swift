import Foundation
import Testing

@testable import LocalCloud

#if canImport(Glibc)
    import Glibc
#endif

/// A state folder and, beside it, a folder outside it with a private file, a folder to list and a file to delete:
/// `<parent>/state` and `<parent>/outside`. From a bucket folder (`state/storage/buckets/<bucket>`) the outside is
/// four `..` up; from the buckets folder, three.
private final class Planted {
    let parent = temporaryDirectory("lc-paths")
    var state: URL { parent.appendingPathComponent("state") }
    var outside: URL { parent.appendingPathComponent("outside") }
    var secret: URL { outside.appendingPathComponent("secret.txt") }
    var victim: URL { outside.appendingPathComponent("victim.txt") }
    let secretText = "TOP-SECRET-\(UUID().uuidString)"

    init() throws {
        try FileManager.default.createDirectory(
            at: outside.appendingPathComponent("listme"), withIntermediateDirectories: true)
        try Data(secretText.utf8).write(to: secret)
        chmod(secret.path, 0o600)
        try Data("do not delete".utf8).write(to: victim)
        try Data("child".utf8).write(to: outside.appendingPathComponent("listme/child.txt"))
    }

    deinit { try? FileManager.default.removeItem(at: parent) }

    /// Every file outside the state folder with its contents, to compare before and after.
    func outsideSnapshot() -> [String: Data] {
        var result: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(atPath: outside.path)
        while let name = enumerator?.nextObject() as? String {
            let url = outside.appendingPathComponent(name)
            result[name] = (try? Data(contentsOf: url)) ?? Data()
        }
        return result
    }

    func bucketFolder(_ bucket: String) -> URL { state.appendingPathComponent("storage/buckets/\(bucket)") }
}

/// Percent-encodes every byte but letters, digits and `-._~`, so `/` is `%2F` and `.` stays.
private func encoded(_ name: String) -> String { Query.encodeSegment(name) }

@Suite("Storage never reaches outside its state folder")
struct StoragePathSafetyTests {
    @Test(
        "GET, media, download, DELETE and metadata of '..', absolute and NUL names are refused; nothing outside changes"
    )
    func traversalNames() async throws {
        let planted = try Planted()
        let before = planted.outsideSnapshot()
        try await withCloud(LocalCloudConfiguration(stateDirectory: planted.state)) { cloud, client in
            let created = try await client.send(
                "POST", "/upload/storage/v1/b/bkt/o?uploadType=media&name=a.txt", body: Data("inside".utf8))
            #expect(created.status == 200)
            let names = [
                "../../../../outside/secret.txt", "../../../../outside/victim.txt",
                "a/../../../../../outside/secret.txt",
                planted.secret.path, "/etc/passwd", "a.txt\u{0}", "./a.txt", "a//b", "..", ".",
                "x.__meta.json", String(repeating: "n", count: 241), String(repeating: "a/", count: 600) + "z",
            ]
            for name in names {
                let object = encoded(name)
                for (method, path) in [
                    ("GET", "/storage/v1/b/bkt/o/\(object)?alt=media"),
                    ("GET", "/storage/v1/b/bkt/o/\(object)"),
                    ("GET", "/download/storage/v1/b/bkt/o/\(object)?alt=media"),
                    ("DELETE", "/storage/v1/b/bkt/o/\(object)"),
                ] {
                    let answer = try await RawHTTP.send(method, path, to: cloud.endpoint)
                    #expect(
                        answer.status == 400,
                        "\(method) \(path.prefix(120)): \(answer.status) \(answer.text.prefix(200))")
                    #expect(!answer.text.contains(planted.secretText))
                    #expect(answer.text.count < 4000, "a huge name is not echoed whole")
                }
            }
            // The same with raw slashes and dots in the path (some clients do not encode '/').
            for path in [
                "/storage/v1/b/bkt/o/../../../../outside/secret.txt?alt=media",
                "/download/storage/v1/b/bkt/o/../../../../outside/secret.txt?alt=media",
                "/storage/v1/b/bkt/o/a/%2E%2E/%2E%2E/%2E%2E/%2E%2E/%2E%2E/outside/secret.txt",
            ] {
                let answer = try await RawHTTP.send("GET", path, to: cloud.endpoint)
                #expect(answer.status == 400, "\(path): \(answer.status) \(answer.text.prefix(200))")
                #expect(!answer.text.contains(planted.secretText))
            }
            let refusal = try await client.get("/storage/v1/b/bkt/o/\(encoded("../x"))")
            #expect(refusal.json["error"]?["code"] == .int(400))
            #expect(
                refusal.json["error"]?["message"]?.stringValue?.contains("must not have '.' or '..' segments") == true,
                "the message names the rule: \(refusal.text)")
            #expect(refusal.json["error"]?["errors"]?.arrayValue?.first?["reason"] == .string("invalid"))
        }
        #expect(
            planted.outsideSnapshot() == before, "nothing outside the state folder was read into, written or deleted")
        #expect(FileManager.default.fileExists(atPath: planted.victim.path))
    }

    @Test("bucket names with '..' or '/' are refused by get, list, insert, upload and resumable routes")
    func traversalBuckets() async throws {
        let planted = try Planted()
        let before = planted.outsideSnapshot()
        try await withCloud(LocalCloudConfiguration(stateDirectory: planted.state)) { cloud, _ in
            for bucket in ["../../../outside", "..", "../../../outside/listme", "/tmp", "a/b", "BKT", "ab"] {
                let b = encoded(bucket)
                let attempts: [(String, String, Data)] = [
                    ("GET", "/storage/v1/b/\(b)", Data()),
                    ("GET", "/storage/v1/b/\(b)/o", Data()),
                    ("GET", "/storage/v1/b/\(b)/o?prefix=listme/", Data()),
                    ("GET", "/storage/v1/b/\(b)/o/secret.txt?alt=media", Data()),
                    ("DELETE", "/storage/v1/b/\(b)/o/victim.txt", Data()),
                    ("POST", "/upload/storage/v1/b/\(b)/o?uploadType=media&name=planted.txt", Data("x".utf8)),
                    ("POST", "/upload/storage/v1/b/\(b)/o?uploadType=resumable&name=planted.txt", Data()),
                ]
                for (method, path, body) in attempts {
                    let answer = try await RawHTTP.send(method, path, to: cloud.endpoint, body: body)
                    #expect(answer.status == 400, "\(method) \(path): \(answer.status) \(answer.text.prefix(200))")
                    #expect(!answer.text.contains("secret.txt") && !answer.text.contains("child.txt"))
                }
            }
            let create = try await RawHTTP.send(
                "POST", "/storage/v1/b", to: cloud.endpoint, headers: ["Content-Type": "application/json"],
                body: Data(#"{"name":"../../../outside/made"}"#.utf8))
            #expect(create.status == 400)
        }
        #expect(planted.outsideSnapshot() == before)
        #expect(!FileManager.default.fileExists(atPath: planted.outside.appendingPathComponent("made").path))
    }

    @Test("uploads (media, multipart, resumable) with '..' names are refused and write nothing outside")
    func traversalUploads() async throws {
        let planted = try Planted()
        let before = planted.outsideSnapshot()
        try await withCloud(LocalCloudConfiguration(stateDirectory: planted.state)) { cloud, client in
            let name = "../../../../outside/written.txt"
            let media = try await client.send(
                "POST", "/upload/storage/v1/b/bkt/o?uploadType=media&name=\(encoded(name))", body: Data("x".utf8))
            #expect(media.status == 400)
            let boundary = "b0undary"
            let multipartBody = Data(
                ("--\(boundary)\r\nContent-Type: application/json\r\n\r\n{\"name\":\"\(name)\"}\r\n"
                    + "--\(boundary)\r\nContent-Type: text/plain\r\n\r\nx\r\n--\(boundary)--\r\n").utf8)
            let multipart = try await client.send(
                "POST", "/upload/storage/v1/b/bkt/o?uploadType=multipart", body: multipartBody,
                headers: ["Content-Type": "multipart/related; boundary=\(boundary)"])
            #expect(multipart.status == 400)
            let resumable = try await client.send(
                "POST", "/upload/storage/v1/b/bkt/o?uploadType=resumable", json: .object(["name": .string(name)]))
            #expect(resumable.status == 400)
            // A session id is a name in uploads/, never a path.
            let session = try await RawHTTP.send(
                "PUT", "/upload/storage/v1/b/bkt/o?uploadType=resumable&upload_id=..%2F..%2F..%2F..%2Foutside%2Fsecret",
                to: cloud.endpoint, body: Data("x".utf8))
            #expect(session.status == 404)
        }
        #expect(planted.outsideSnapshot() == before)
    }

    @Test(
        "links and FIFOs planted in a bucket (as a job could) are not objects: not read, listed, followed or written through"
    )
    func plantedLinks() async throws {
        let planted = try Planted()
        try await withCloud(LocalCloudConfiguration(stateDirectory: planted.state)) { cloud, client in
            #expect(
                try await client.send(
                    "POST", "/upload/storage/v1/b/bkt/o?uploadType=media&name=real.txt", body: Data("real".utf8)
                ).status == 200)
            let bucket = planted.bucketFolder("bkt")
            try FileManager.default.createSymbolicLink(
                at: bucket.appendingPathComponent("link.txt"), withDestinationURL: planted.secret)
            try FileManager.default.createSymbolicLink(
                at: bucket.appendingPathComponent("linkdir"), withDestinationURL: planted.outside)
            #expect(mkfifo(bucket.appendingPathComponent("fifo").path, 0o600) == 0)
            // The metadata tree too: a link where a sidecar folder would go.
            let metaBucket = planted.state.appendingPathComponent("storage/meta/bkt")
            try FileManager.default.createSymbolicLink(
                at: metaBucket.appendingPathComponent("metalink"), withDestinationURL: planted.outside)
            let before = planted.outsideSnapshot()

            for name in ["link.txt", "linkdir/secret.txt", "linkdir/listme/child.txt", "fifo"] {
                for suffix in ["?alt=media", ""] {
                    let answer = try await client.get("/storage/v1/b/bkt/o/\(encoded(name))\(suffix)")
                    #expect(answer.status == 404, "\(name)\(suffix): \(answer.status) \(answer.text.prefix(200))")
                    #expect(!answer.text.contains(planted.secretText))
                }
                #expect(try await client.send("DELETE", "/storage/v1/b/bkt/o/\(encoded(name))").status == 404)
            }
            for query in ["", "?prefix=linkdir/", "?prefix=linkdir/listme/", "?delimiter=/"] {
                let listing = try await client.get("/storage/v1/b/bkt/o\(query)")
                #expect(listing.status == 200)
                let items = (listing.json["items"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
                #expect(items == (query.contains("linkdir") ? [] : ["real.txt"]), "\(query): \(listing.text)")
                #expect(!listing.text.contains("secret") && !listing.text.contains("child"))
            }
            // Writing through the links: refused or kept inside, never outside.
            for name in ["linkdir/written.txt", "link.txt", "metalink/x.txt"] {
                _ = try await client.send(
                    "POST", "/upload/storage/v1/b/bkt/o?uploadType=media&name=\(encoded(name))",
                    body: Data("overwrite".utf8))
            }
            let after = planted.outsideSnapshot()
            #expect(after == before, "outside changed: \(Set(after.keys).symmetricDifference(before.keys))")
            #expect(try String(contentsOf: planted.secret, encoding: .utf8) == planted.secretText)
            // The bucket listing itself ignores a link in the buckets folder.
            try FileManager.default.createSymbolicLink(
                at: planted.state.appendingPathComponent("storage/buckets/evil"), withDestinationURL: planted.outside)
            let buckets = try await client.get("/storage/v1/b")
            #expect(!buckets.text.contains("evil"))
            #expect(try await client.get("/storage/v1/b/evil/o").status == 404)
        }
    }

    @Test("a job volume's remotePath cannot lead through '..' or a planted link")
    func volumeFolders() async throws {
        let planted = try Planted()
        let storage = try StorageService(root: planted.state.appendingPathComponent("storage"), now: { Date() })
        let inside = try await storage.folder(forRemotePath: "bkt/work/dir")
        #expect(inside.path.hasPrefix(planted.state.path))
        try FileManager.default.createSymbolicLink(
            at: planted.bucketFolder("bkt").appendingPathComponent("linkdir"), withDestinationURL: planted.outside)
        for remote in ["bkt/linkdir", "bkt/linkdir/listme", "bkt/../../../outside", "../outside", "bkt/a/../.."] {
            await #expect(throws: APIError.self, "\(remote)") { _ = try await storage.folder(forRemotePath: remote) }
        }
    }

    @Test("Content-Range and Range values up to 2^63-1 and past it are answered with 400 or 416, never a crash")
    func hugeRanges() async throws {
        try await withCloud { cloud, client in
            _ = try await client.send(
                "POST", "/upload/storage/v1/b/rng/o?uploadType=media&name=o.txt", body: Data("0123456789".utf8))
            for header in [
                "bytes 0-9223372036854775807/*", "bytes 0-9223372036854775807/9223372036854775807",
                "bytes 9223372036854775807-9223372036854775807/*", "bytes 0-99999999999999999999/*",
                "bytes -5-0/*", "bytes 0--1/*", "bytes 3-1/*", "bytes 0-0/0", "bytes */-1", "bytes 0-0",
                "bytes +0-0/*", "bytes 0-0/18446744073709551616",
            ] {
                let start = try await client.send(
                    "POST", "/upload/storage/v1/b/rng/o?uploadType=resumable", json: .object(["name": .string("r")]))
                let location = try #require(start.header("Location"))
                let answer = try await client.send(
                    "PUT", location, body: Data("x".utf8), headers: ["Content-Range": header])
                #expect(answer.status == 400, "\(header): \(answer.status) \(answer.text.prefix(200))")
            }
            for header in ["bytes=9223372036854775807-", "bytes=10-", "bytes=-0"] {
                let answer = try await client.send(
                    "GET", "/storage/v1/b/rng/o/o.txt?alt=media", headers: ["Range": header])
                #expect(answer.status == 416, "\(header): \(answer.status)")
            }
            let suffix = try await client.send(
                "GET", "/storage/v1/b/rng/o/o.txt?alt=media", headers: ["Range": "bytes=-9223372036854775807"])
            #expect(suffix.status == 206 && suffix.text == "0123456789")
            let tail = try await client.send(
                "GET", "/storage/v1/b/rng/o/o.txt?alt=media", headers: ["Range": "bytes=8-9223372036854775807"])
            #expect(tail.status == 206 && tail.text == "89")
            #expect(try await RawHTTP.send("GET", "/_emulator/health", to: cloud.endpoint).status == 200)
        }
    }

    @Test("the byte-range parser: strict digits, checked sums")
    func byteRangeParser() throws {
        #expect(try ByteRanges.contentRange("bytes 0-9/10", chunkSize: 10) == .init(first: 0, total: 10))
        #expect(try ByteRanges.contentRange("bytes */10", chunkSize: 0) == .init(first: nil, total: 10))
        #expect(try ByteRanges.contentRange("bytes 5-9/*", chunkSize: 5) == .init(first: 5, total: nil))
        #expect(throws: APIError.self) { try ByteRanges.contentRange("bytes 0-9223372036854775807/*", chunkSize: 1) }
        #expect(throws: APIError.self) { try ByteRanges.contentRange("bytes 0-9/9", chunkSize: 10) }
        #expect(throws: APIError.self) { try ByteRanges.contentRange("bytes */5", chunkSize: 3) }
        #expect(try ByteRanges.range("bytes=2-4", size: 10) == 2...4)
        #expect(try ByteRanges.range("bytes=-3", size: 10) == 7...9)
        #expect(try ByteRanges.range("bytes=0-1,3-4", size: 10) == nil)
        #expect(throws: APIError.self) { try ByteRanges.range("bytes=12-", size: 10) }
        let long = "bytes 0-" + String(repeating: "9", count: 5000) + "/*"
        do {
            _ = try ByteRanges.contentRange(long, chunkSize: 1)
            Issue.record("accepted")
        } catch {
            #expect(error.message.count < 500, "a long header is quoted only in part")
        }
    }
}
