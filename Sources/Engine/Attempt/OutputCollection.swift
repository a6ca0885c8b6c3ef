import Flows
import Foundation

/// Which objects of an attempt's working directory become the task run's output files, and under which key, by
/// Kestra's rules:
///
/// - a file under the output directory (`{{ outputDir }}`, `<wid>/<oid>/`) is keyed relative to it:
///   `{{ outputDir }}/a.txt` is `outputFiles["a.txt"]`;
/// - a file the `outputFiles` globs select is keyed relative to the working directory;
/// - with `syncWorkingDirectory`, every other file the job created or changed in the working directory is
///   collected too, keyed relative to the working directory (a staged input the job left as it was is not, and
///   the output directory's files are already collected by the first rule);
/// - when a working-directory key and an output-directory key are the same, the working directory's file wins,
///   as Kestra's `outputFiles` are put after the output directory's.
///
/// Folder placeholders (names ending in `/`) are never files. The choice is pure: the same listing gives the
/// same files in the same order, so a resumed or replayed attempt collects what the first one would have.
public struct OutputCollection: Sendable {
    /// The `outputFiles` globs, as rendered.
    public var globs: [GlobPattern]
    /// The output directory's id, when the task has one.
    public var outputDirectory: String?
    /// `syncWorkingDirectory`.
    public var syncWorkingDirectory: Bool

    public init(globs: [GlobPattern], outputDirectory: String?, syncWorkingDirectory: Bool) {
        self.globs = globs
        self.outputDirectory = outputDirectory
        self.syncWorkingDirectory = syncWorkingDirectory
    }

    /// Whether anything at all is to be collected (otherwise the listing is not even asked for).
    public var collectsAnything: Bool { !globs.isEmpty || outputDirectory != nil || syncWorkingDirectory }

    /// One object of the working directory, by its name relative to it.
    public struct Listed: Sendable, Equatable {
        public var relative: String
        public var crc32c: String?

        public init(relative: String, crc32c: String?) {
            self.relative = relative
            self.crc32c = crc32c
        }
    }

    /// An object to download, and its key in `outputFiles` (also its path under the task run's output folder).
    public struct Selected: Sendable, Equatable {
        public var relative: String
        public var key: String

        public init(relative: String, key: String) {
            self.relative = relative
            self.key = key
        }
    }

    /// The files to download from `listed`, output-directory files first, each part in name order. `staged` maps
    /// the relative names of the files staged into the working directory to their CRC32C.
    public func select(_ listed: [Listed], staged: [String: String] = [:]) -> [Selected] {
        let outputPrefix = outputDirectory.map { $0 + "/" }
        var fromOutputDirectory: [Selected] = []
        var fromWorkingDirectory: [Selected] = []
        for object in listed.sorted(by: { $0.relative < $1.relative }) {
            let relative = object.relative
            guard !relative.isEmpty, !relative.hasSuffix("/") else { continue }
            let inOutputDirectory = outputPrefix.map { relative.hasPrefix($0) } ?? false
            if let outputPrefix, inOutputDirectory, relative.count > outputPrefix.count {
                fromOutputDirectory.append(
                    Selected(relative: relative, key: String(relative.dropFirst(outputPrefix.count))))
            }
            let globbed = globs.contains { $0.matches(relative) }
            let synced = syncWorkingDirectory && !inOutputDirectory && !isUnchangedInput(object, staged: staged)
            if globbed || synced {
                fromWorkingDirectory.append(Selected(relative: relative, key: relative))
            }
        }
        let workingKeys = Set(fromWorkingDirectory.map(\.key))
        return fromOutputDirectory.filter { !workingKeys.contains($0.key) } + fromWorkingDirectory
    }

    private func isUnchangedInput(_ object: Listed, staged: [String: String]) -> Bool {
        guard let stagedCRC = staged[object.relative], let crc = object.crc32c else { return false }
        return stagedCRC == crc
    }
}
