import Foundation
import Testing

@testable import LocalCloud

#if canImport(Glibc)
    import Glibc
#endif

/// The permission bits of a path (the link itself for a link).
private func mode(_ url: URL) -> mode_t? {
    var info = stat()
    return lstat(url.path, &info) == 0 ? info.st_mode & 0o7777 : nil
}

/// Every file and folder below `root` with its mode, links excluded.
private func modes(under root: URL) -> [(path: String, mode: mode_t, isDirectory: Bool)] {
    var result: [(String, mode_t, Bool)] = []
    let enumerator = FileManager.default.enumerator(atPath: root.path)
    while let name = enumerator?.nextObject() as? String {
        var info = stat()
        guard lstat(root.appendingPathComponent(name).path, &info) == 0 else { continue }
        let type = info.st_mode & S_IFMT
        guard type == S_IFREG || type == S_IFDIR else { continue }
        result.append((name, info.st_mode & 0o7777, type == S_IFDIR))
    }
    return result
}

/// Uploads one object each way (media, multipart, resumable) and a folder marker.
private func uploadEveryWay(_ client: TestClient) async throws {
    #expect(
        try await client.send(
            "POST", "/upload/storage/v1/b/perm/o?uploadType=media&name=dir/media.txt", body: Data("m".utf8)
        ).status == 200)
    let boundary = "xyz"
    let body = Data(
        ("--\(boundary)\r\nContent-Type: application/json\r\n\r\n{\"name\":\"multi.txt\"}\r\n"
            + "--\(boundary)\r\nContent-Type: text/plain\r\n\r\nmp\r\n--\(boundary)--\r\n").utf8)
    #expect(
        try await client.send(
            "POST", "/upload/storage/v1/b/perm/o?uploadType=multipart", body: body,
            headers: ["Content-Type": "multipart/related; boundary=\(boundary)"]
        ).status == 200)
    let start = try await client.send(
        "POST", "/upload/storage/v1/b/perm/o?uploadType=resumable", json: .object(["name": .string("res.txt")]))
    let location = try #require(start.header("Location"))
    let half = try await client.send(
        "PUT", location, body: Data("ab".utf8), headers: ["Content-Range": "bytes 0-1/*"])
    #expect(half.status == 308)
    #expect(
        try await client.send("PUT", location, body: Data("c".utf8), headers: ["Content-Range": "bytes 2-2/3"])
            .status == 200)
    #expect(
        try await client.send(
            "POST", "/upload/storage/v1/b/perm/o?uploadType=media&name=folder/", body: Data()
        ).status == 200)
}

@Suite("State folder permissions and cleanup")
struct StatePermissionsTests {
    @Test("the temporary data folder is 0700, its folders 0700 and its files 0600 (objects, sidecars, sessions, lock)")
    func temporaryFolderIsPrivate() async throws {
        try await withCloud { cloud, client in
            try await uploadEveryWay(client)
            #expect(mode(cloud.dataDirectory) == 0o700)
            let entries = modes(under: cloud.dataDirectory.appendingPathComponent("storage"))
            #expect(entries.contains { $0.path.hasSuffix("media.txt") })
            #expect(entries.contains { $0.path.hasSuffix("res.txt.__meta.json") })
            for entry in entries {
                #expect(
                    entry.mode == (entry.isDirectory ? 0o700 : 0o600), "\(entry.path): \(String(entry.mode, radix: 8))")
            }
            #expect(mode(cloud.dataDirectory.appendingPathComponent(".localcloud.lock")) == 0o600)
        }
    }

    @Test("a --state-dir is created 0700; an existing one other users could read is made 0700; a shared one is refused")
    func stateDirectoryIsPrivate() async throws {
        let parent = temporaryDirectory("lc-perm")
        defer { try? FileManager.default.removeItem(at: parent) }
        let fresh = parent.appendingPathComponent("fresh/state")
        try await withCloud(LocalCloudConfiguration(stateDirectory: fresh)) { _, client in
            try await uploadEveryWay(client)
        }
        #expect(mode(fresh) == 0o700)
        #expect(modes(under: fresh).contains { $0.path.hasSuffix("logs.ndjson") })
        for entry in modes(under: fresh) {
            #expect(entry.mode == (entry.isDirectory ? 0o700 : 0o600), "\(entry.path): \(String(entry.mode, radix: 8))")
        }
        let open = parent.appendingPathComponent("open")
        try FileManager.default.createDirectory(at: open, withIntermediateDirectories: true)
        chmod(open.path, 0o755)
        try await withCloud(LocalCloudConfiguration(stateDirectory: open)) { _, _ in }
        #expect(mode(open) == 0o700)
        let shared = parent.appendingPathComponent("shared")
        try FileManager.default.createDirectory(at: shared, withIntermediateDirectories: true)
        chmod(shared.path, 0o1777)
        do {
            let cloud = try await LocalCloud.start(LocalCloudConfiguration(stateDirectory: shared))
            await cloud.shutdown()
            Issue.record("a sticky shared folder was accepted as a state directory")
        } catch {
            #expect("\(error)".contains("shared folder"))
        }
    }

    @Test("shutdown removes the temporary folder without following a link a job planted in it")
    func shutdownRemovesFolder() async throws {
        let outside = temporaryDirectory("lc-keep")
        defer { try? FileManager.default.removeItem(at: outside) }
        try Data("keep".utf8).write(to: outside.appendingPathComponent("keep.txt"))
        let cloud = try await LocalCloud.start(LocalCloudConfiguration())
        let client = TestClient(cloud)
        try await uploadEveryWay(client)
        let bucket = cloud.dataDirectory.appendingPathComponent("storage/buckets/perm")
        try FileManager.default.createSymbolicLink(
            at: bucket.appendingPathComponent("out"), withDestinationURL: outside)
        // A folder a job made read-only is removed too.
        let locked = bucket.appendingPathComponent("locked")
        try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: locked.appendingPathComponent("x"))
        chmod(locked.path, 0o500)
        client.session.invalidateAndCancel()
        await cloud.shutdown()
        #expect(!FileManager.default.fileExists(atPath: cloud.dataDirectory.path))
        #expect(FileManager.default.fileExists(atPath: outside.appendingPathComponent("keep.txt").path))
    }

    @Test("the sweep removes folders of dead emulators only: not a live one's, not one without a lock, not a link")
    func sweep() throws {
        let folder = temporaryDirectory("lc-sweep")
        defer { try? FileManager.default.removeItem(at: folder) }
        func make(_ name: String, lock: Bool) throws -> URL {
            let url = folder.appendingPathComponent(name)
            try FileManager.default.createDirectory(
                at: url.appendingPathComponent("storage/buckets/b"), withIntermediateDirectories: true)
            try Data("script".utf8).write(to: url.appendingPathComponent("storage/buckets/b/run.sh"))
            if lock {
                FileManager.default.createFile(
                    atPath: url.appendingPathComponent(".localcloud.lock").path, contents: nil)
            }
            return url
        }
        // A dead emulator's folder: its lock file is there and nobody holds it.
        let dead = try make("localcloud-dead", lock: true)
        // A live one's: the lock is held (by this process, through another open file description).
        let alive = try make("localcloud-alive", lock: false)
        let held = try StateLock(directory: alive)
        defer { held.release() }
        // A starting one's: no lock file yet.
        let starting = try make("localcloud-starting", lock: false)
        // A link named like a temporary folder, to a folder with an unheld lock: never followed.
        let target = try make("elsewhere", lock: true)
        try FileManager.default.createSymbolicLink(
            at: folder.appendingPathComponent("localcloud-link"), withDestinationURL: target)
        // Not ours by name.
        let other = try make("other-dead", lock: true)

        LocalCloud.sweepAbandonedDataDirectories(in: folder)

        #expect(!FileManager.default.fileExists(atPath: dead.path), "a dead emulator's folder is swept at once")
        #expect(FileManager.default.fileExists(atPath: alive.appendingPathComponent("storage/buckets/b/run.sh").path))
        #expect(FileManager.default.fileExists(atPath: starting.path))
        #expect(FileManager.default.fileExists(atPath: target.appendingPathComponent("storage/buckets/b/run.sh").path))
        #expect(FileManager.default.fileExists(atPath: other.path))
    }
}
