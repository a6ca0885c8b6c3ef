/// One file the UI serves from `/ui/assets/`: kept in the binary as text, so `serve` needs no file beside it.
struct UIAsset: Sendable {
    var name: String
    var contentType: String
    var body: String

    /// A quoted FNV-1a digest of the body, for `ETag` and `If-None-Match`.
    var etag: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in body.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return "\"" + String(hash, radix: 16) + "\""
    }
}

/// The style sheet and the scripts of the web UI.
enum UIAssets {
    static let all: [String: UIAsset] = Dictionary(
        uniqueKeysWithValues: [
            UIAsset(name: "app.css", contentType: "text/css; charset=utf-8", body: StyleSheet.text),
            script("common.js", CommonScript.text),
            script("list.js", ListScript.text),
            script("execution.js", ExecutionScript.text),
            script("flows.js", FlowScript.text),
            script("audit.js", AuditScript.text),
        ].map { ($0.name, $0) })

    /// The asset called `name`, if there is one.
    static func named(_ name: String) -> UIAsset? { all[name] }

    private static func script(_ name: String, _ body: String) -> UIAsset {
        UIAsset(name: name, contentType: "text/javascript; charset=utf-8", body: body)
    }
}
