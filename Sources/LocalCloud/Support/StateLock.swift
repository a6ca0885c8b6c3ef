import Foundation

/// An exclusive lock on a state directory, so two emulators never write the same jobs and objects.
/// The kernel releases it when the emulator dies, so a restart after a crash is not blocked.
final class StateLock: @unchecked Sendable {
    private var descriptor: Int32

    /// Takes the lock or says which emulator holds it. With `createIfMissing` false, a folder without a lock
    /// file is an error (a sweep only takes over folders whose emulator published one). The lock file is `0600`
    /// and never opened through a link.
    init(directory: URL, createIfMissing: Bool = true) throws {
        let path = directory.appendingPathComponent(".localcloud.lock").path
        descriptor = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC)
        if descriptor < 0 && errno == ENOENT && createIfMissing {
            // Create the file already locked, then publish it: nobody can see it unlocked.
            let staging = directory.appendingPathComponent(".localcloud.lock.\(getpid()).\(UUID().uuidString)").path
            descriptor = open(staging, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { throw LocalCloudError.io("create \(staging)", errno) }
            if flock(descriptor, LOCK_EX | LOCK_NB) != 0 || link(staging, path) != 0 {
                // Someone else published a lock file meanwhile: fall back to locking theirs.
                close(descriptor)
                unlink(staging)
                descriptor = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC)
            } else {
                unlink(staging)
            }
        }
        guard descriptor >= 0 else { throw LocalCloudError.io("open \(path)", errno) }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(
                in: .whitespacesAndNewlines)
            close(descriptor)
            // deinit runs after a throw from here (every property is set): it must not close the number again,
            // which by then may be another file's.
            descriptor = -1
            throw LocalCloudError.configuration(
                "the state directory \(directory.path) is in use by another LocalCloud emulator"
                    + (holder.map { $0.isEmpty ? "" : " (pid \($0))" } ?? "")
                    + "; stop it or choose another --state-dir")
        }
        _ = ftruncate(descriptor, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(descriptor, $0, strlen($0)) }
    }

    /// Releases the lock.
    func release() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
