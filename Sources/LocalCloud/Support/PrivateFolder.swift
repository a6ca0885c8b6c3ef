import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The emulator's state folder is private to its user (`0700`): it holds job scripts, objects and logs, which
/// other users of the machine must neither read nor change.
enum PrivateFolder {
    /// Creates a new folder `prefix<random>` in `parent`, `0700`, failing rather than reusing anything there.
    static func makeTemporary(in parent: URL, prefix: String) throws -> URL {
        let url = parent.appendingPathComponent("\(prefix)\(UUID().uuidString)")
        guard mkdir(url.path, 0o700) == 0 else {
            throw LocalCloudError.io("create the emulator's temporary folder \(url.path)", errno)
        }
        // mkdir's mode is filtered by the umask; the folder must be exactly 0700 whatever the umask.
        guard chmod(url.path, 0o700) == 0 else { throw LocalCloudError.io("make \(url.path) private", errno) }
        return url
    }

    /// Creates `url` (and missing parents) `0700`, or checks an existing folder: it must be a folder of this
    /// user and not a shared one (sticky bit, like /tmp); one that other users can read is made `0700`.
    static func prepare(_ url: URL) throws {
        do {
            try FileManager.default.createDirectory(
                at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw LocalCloudError.configuration("cannot create the state directory \(url.path): \(error)")
        }
        var info = stat()
        guard stat(url.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw LocalCloudError.configuration("the state directory \(url.path) is not a folder")
        }
        guard info.st_uid == geteuid() else {
            throw LocalCloudError.configuration(
                "the state directory \(url.path) belongs to another user (uid \(info.st_uid)); choose a folder of "
                    + "your own, which LocalCloud keeps private (0700)")
        }
        guard info.st_mode & S_ISVTX == 0 else {
            throw LocalCloudError.configuration(
                "the state directory \(url.path) is a shared folder (sticky bit, like /tmp); choose a folder of its "
                    + "own, such as \(url.appendingPathComponent("localcloud-state").path)")
        }
        if info.st_mode & 0o077 != 0 {
            guard chmod(url.path, 0o700) == 0 else {
                throw LocalCloudError.io("make the state directory \(url.path) private (0700)", errno)
            }
        }
    }
}
