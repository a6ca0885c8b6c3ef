import Foundation

/// The execution ids a ledger accepts from outside (an import): the characters the engine's own ids use and
/// a bounded length. The engine makes 26-character ULIDs of `0-9a-z`; tests and older tools use names such as
/// `exec-a`. Ids end up in file names (the HTML export's pages), labels and messages, so anything that could
/// name another folder (`/`, `..`), hide in a terminal (control characters) or flood a message is refused.
public enum ExecutionID {
    /// The longest id accepted.
    public static let maximumLength = 64

    /// Whether `id` is 1 to 64 characters of `0-9`, `A-Z`, `a-z`, `_` and `-`.
    public static func isValid(_ id: String) -> Bool {
        let bytes = id.utf8
        guard !bytes.isEmpty, bytes.count <= maximumLength else { return false }
        return bytes.allSatisfy { byte in
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || byte == UInt8(ascii: "_")
                || byte == UInt8(ascii: "-")
        }
    }

    /// A file name for `id` with `suffix` (such as `.html`): the id itself when it is valid, otherwise
    /// `execution-` and the first 32 hex digits of its SHA-256, which cannot leave the folder it is put in.
    public static func fileName(for id: String, suffix: String) -> String {
        let base = isValid(id) ? id : "execution-" + SHA256Digest.of(Data(id.utf8)).hex.prefix(32)
        return base + suffix
    }

    /// The path of `id`'s file in `folder`, checked to be a direct child of `folder` (never `..`, never a path
    /// elsewhere), or `cannotWrite` naming the folder.
    public static func path(for id: String, suffix: String, in folder: String) throws(ExportError) -> String {
        let name = fileName(for: id, suffix: suffix)
        let path = (folder as NSString).appendingPathComponent(name)
        let base = (folder as NSString).standardizingPath
        guard !name.contains("/"), name != ".", name != "..",
            ((path as NSString).standardizingPath as NSString).deletingLastPathComponent == base
        else {
            throw .cannotWrite(
                path: folder, detail: "execution \(Excerpt.of(id)) does not make a file name inside the folder")
        }
        return path
    }
}
