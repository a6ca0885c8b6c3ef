import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A folder of the emulator's state, opened once, under which every file is reached from the folder's descriptor
/// one name at a time (`openat`) without following a symbolic link. A path given as names can therefore never lead
/// outside the folder, whatever a job planted in it (a link to `/etc`, a link to a link), and whatever a name holds:
/// `..`, `.`, `/`, NUL and empty names are refused before any system call.
///
/// Folders are created `0700` and files `0600`.
final class ConfinedFolder: @unchecked Sendable {
    /// The folder's path (for messages, and for tools that need a path, such as a sandbox's bind mount).
    let url: URL
    /// Open for the folder's lifetime; every operation starts from it.
    private let descriptor: Int32

    /// Creates the folder (and missing parents, `0700`) and opens it. The path itself is trusted (it is the
    /// emulator's own configuration); only what lies below it is confined.
    init(creating url: URL) throws {
        try FileManager.default.createDirectory(
            at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let descriptor = open(url.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw LocalCloudError.io("open the folder \(url.path)", errno) }
        self.url = url
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Why a name cannot be used as one component of a path, or nil when it can.
    static func problem(withComponent name: String) -> String? {
        if name.isEmpty { return "an empty name" }
        if name == "." || name == ".." { return "'\(name)'" }
        if name.utf8.contains(0) { return "a NUL character" }
        if name.utf8.contains(UInt8(ascii: "/")) { return "a '/' inside one name" }
        if name.utf8.count > Int(NAME_MAX) { return "a name longer than \(NAME_MAX) bytes" }
        return nil
    }

    private static func check(_ components: [String]) throws {
        for component in components {
            if let problem = problem(withComponent: component) {
                throw LocalCloudError.unsafePath("a path inside the state folder holds \(problem)")
            }
        }
    }

    /// The path of `components` below the folder, for messages and bind mounts (never opened by path here).
    func url(_ components: [String]) -> URL {
        components.reduce(url) { $0.appendingPathComponent($1) }
    }

    // MARK: Walking

    /// Opens the folder `components` (the folder itself when empty), creating missing ones when `create` is set.
    /// The caller closes the descriptor. A symbolic link on the way fails with ELOOP, a file with ENOTDIR.
    func openDirectory(_ components: [String], create: Bool = false) throws -> Int32 {
        try Self.check(components)
        var current = dup(descriptor)
        guard current >= 0 else { throw LocalCloudError.io("open \(url.path)", errno) }
        for component in components {
            var next = openat(current, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if next < 0 && errno == ENOENT && create {
                if mkdirat(current, component, 0o700) != 0 && errno != EEXIST {
                    let code = errno
                    close(current)
                    throw LocalCloudError.io("create the folder \(self.url(components).path)", code)
                }
                next = openat(current, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            }
            let code = errno
            close(current)
            guard next >= 0 else { throw LocalCloudError.io("open the folder \(self.url(components).path)", code) }
            current = next
        }
        return current
    }

    /// Runs `body` with the folder that holds the last component open, and that component's name.
    func withParent<T>(
        of components: [String], create: Bool = false, _ body: (Int32, String) throws -> T
    ) throws -> T {
        guard let last = components.last else {
            throw LocalCloudError.unsafePath("a path inside the state folder is empty")
        }
        try Self.check([last])
        let parent = try openDirectory(Array(components.dropLast()), create: create)
        defer { close(parent) }
        return try body(parent, last)
    }

    // MARK: Files

    /// Opens the file `components` with `flags` (`O_NOFOLLOW` and `O_CLOEXEC` are added; with `O_CREAT` the file is
    /// created `0600`). Reading opens only a regular file: a FIFO or device a job planted fails with EINVAL instead
    /// of blocking or reaching a device. The caller closes the descriptor.
    func openFile(_ components: [String], flags: Int32, createParents: Bool = false) throws -> Int32 {
        try withParent(of: components, create: createParents) { parent, name in
            // O_NONBLOCK: opening a FIFO for reading must not wait for a writer; regular files ignore it.
            let file = openat(parent, name, flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0o600)
            guard file >= 0 else { throw LocalCloudError.io("open \(self.url(components).path)", errno) }
            var info = stat()
            guard fstat(file, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
                close(file)
                throw LocalCloudError.io("open \(self.url(components).path) (not a regular file)", EINVAL)
            }
            _ = fcntl(file, F_SETFL, fcntl(file, F_GETFL) & ~O_NONBLOCK)
            return file
        }
    }

    /// The status of `components` itself (a link is reported as a link, never followed), or nil when absent.
    func status(_ components: [String]) -> stat? {
        if components.isEmpty {
            var info = stat()
            return fstat(descriptor, &info) == 0 ? info : nil
        }
        return try? withParent(of: components) { parent, name -> stat? in
            var info = stat()
            return fstatat(parent, name, &info, AT_SYMLINK_NOFOLLOW) == 0 ? info : nil
        }
    }

    /// True when `components` is a real folder (not a link to one).
    func isDirectory(_ components: [String]) -> Bool {
        status(components).map { ($0.st_mode & S_IFMT) == S_IFDIR } ?? false
    }

    /// Reads a whole (small) regular file, or nil when it is absent or not a regular file.
    func read(_ components: [String]) -> Data? {
        guard let file = try? openFile(components, flags: O_RDONLY) else { return nil }
        let handle = FileHandle(fileDescriptor: file, closeOnDealloc: true)
        return try? handle.readToEnd() ?? Data()
    }

    /// Writes `data` to a new file beside `components`, then renames it over `components` (a link there is
    /// replaced, not followed), creating missing folders.
    func writeAtomically(_ data: Data, to components: [String]) throws {
        try withParent(of: components, create: true) { parent, name in
            let temporary = ".localcloud-\(UUID().uuidString.lowercased()).tmp"
            // Plain write(2), no fsync: the rename protects against an emulator crash, which is what state
            // directories are for; an fsync per write made every job state change wait on the disk.
            let file = openat(parent, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard file >= 0 else { throw LocalCloudError.io("create a file in \(self.url(components).path)", errno) }
            let failed = AtomicFile.writeAll(data, to: file)
            close(file)
            if let failed {
                unlinkat(parent, temporary, 0)
                throw LocalCloudError.io("write \(self.url(components).path)", failed)
            }
            if renameat(parent, temporary, parent, name) != 0 {
                let code = errno
                unlinkat(parent, temporary, 0)
                throw LocalCloudError.io("write \(self.url(components).path)", code)
            }
        }
    }

    /// Moves the file `source` of `folder` to `components` here (a link there is replaced, not followed).
    func move(_ source: [String], of folder: ConfinedFolder, to components: [String]) throws {
        try folder.withParent(of: source) { sourceParent, sourceName in
            try withParent(of: components, create: true) { parent, name in
                guard renameat(sourceParent, sourceName, parent, name) == 0 else {
                    throw LocalCloudError.io("move a file to \(self.url(components).path)", errno)
                }
            }
        }
    }

    /// Creates the folder `components` and any missing parent (never through a link).
    func createDirectory(_ components: [String]) throws {
        close(try openDirectory(components, create: true))
    }

    /// Removes the file (or link) `components`; absent is not an error.
    func removeFile(_ components: [String]) {
        _ = try? withParent(of: components) { parent, name in unlinkat(parent, name, 0) }
    }

    /// Removes the folder `components` if it is empty; true when it is gone.
    @discardableResult
    func removeEmptyDirectory(_ components: [String]) -> Bool {
        (try? withParent(of: components) { parent, name in unlinkat(parent, name, AT_REMOVEDIR) == 0 }) ?? false
    }

    // MARK: Listing

    /// What kind of entry a name in a folder is, without following links.
    enum EntryKind: Sendable { case file, directory, other }

    /// The entries of the folder `components` (not `.` and `..`), with their kinds; empty when it cannot be read.
    func entries(_ components: [String]) -> [(name: String, kind: EntryKind)] {
        guard let folder = try? openDirectory(components) else { return [] }
        return Self.entries(ofOpenDirectory: folder)
    }

    /// The entries of an open folder; takes ownership of `folder` (closes it).
    static func entries(ofOpenDirectory folder: Int32) -> [(name: String, kind: EntryKind)] {
        guard let stream = fdopendir(folder) else {
            close(folder)
            return []
        }
        defer { closedir(stream) }
        var result: [(String, EntryKind)] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard name != ".", name != ".." else { continue }
            var kind: EntryKind
            switch Int32(entry.pointee.d_type) {
            case Int32(DT_REG): kind = .file
            case Int32(DT_DIR): kind = .directory
            case Int32(DT_UNKNOWN):
                var info = stat()
                kind = .other
                if fstatat(dirfd(stream), name, &info, AT_SYMLINK_NOFOLLOW) == 0 {
                    if (info.st_mode & S_IFMT) == S_IFREG { kind = .file }
                    if (info.st_mode & S_IFMT) == S_IFDIR { kind = .directory }
                }
            default: kind = .other
            }
            result.append((name, kind))
        }
        return result
    }

    // MARK: Removing a tree

    /// Removes the entry `name` of the open folder `parent`, recursively for a folder, without following links.
    static func removeTree(named name: String, in parent: Int32) {
        if unlinkat(parent, name, 0) == 0 || errno == ENOENT { return }
        let folder = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard folder >= 0 else { return }
        // A job may have left a folder without write permission; it is ours to empty.
        _ = fchmod(folder, 0o700)
        let listing = dup(folder)
        if listing >= 0 {
            for entry in entries(ofOpenDirectory: listing) { removeTree(named: entry.name, in: folder) }
        }
        close(folder)
        unlinkat(parent, name, AT_REMOVEDIR)
    }

    /// Removes the folder at `url` and everything in it, never following a link below it (a link a job planted is
    /// removed, not what it points to). Best effort: what cannot be removed stays.
    static func removeTree(at url: URL) {
        let parent = open(url.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard parent >= 0 else { return }
        defer { close(parent) }
        removeTree(named: url.lastPathComponent, in: parent)
    }
}
