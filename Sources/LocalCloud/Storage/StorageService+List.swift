import Foundation

/// `objects.list` over the bucket folder.
extension StorageService {
    /// `objects.list`: every object name under the bucket folder, with prefix, delimiter and paging.
    func list(
        bucket: String, prefix: String, delimiter: String?, maxResults: Int, pageToken: String?,
        startOffset: String?, endOffset: String?, baseURL: String
    ) throws(APIError) -> JSONValue {
        guard try bucketExists(bucket) else {
            throw APIError.notFound("The specified bucket does not exist.", shape: .storage)
        }
        // The walk starts at the prefix's folder when the prefix's folder part is a storable name; otherwise at
        // the bucket, and the prefix filter below keeps only what matches (a prefix is text, not a path).
        var start: [String] = []
        if let slash = prefix.lastIndex(of: "/"),
            let segments = try? StorageNames.objectSegments(String(prefix[...slash]))
        {
            start = segments
        }
        var names: [String] = []
        collectNames(bucket: bucket, under: start, into: &names)
        names = names.filter { name in
            name.hasPrefix(prefix) && (startOffset.map { name >= $0 } ?? true) && (endOffset.map { name < $0 } ?? true)
        }.sorted()
        // Keys in order: an object, or a prefix that stands for every object under it.
        var keys: [(key: String, isPrefix: Bool)] = []
        var seenPrefixes = Set<String>()
        for name in names {
            if let delimiter, !delimiter.isEmpty,
                let range = name.range(
                    of: delimiter, range: name.index(name.startIndex, offsetBy: prefix.count)..<name.endIndex)
            {
                let collapsed = String(name[..<range.upperBound])
                if seenPrefixes.insert(collapsed).inserted { keys.append((collapsed, true)) }
            } else {
                keys.append((name, false))
            }
        }
        if let pageToken { keys = keys.filter { $0.key > pageToken } }
        let page = keys.prefix(maxResults)
        var items: [JSONValue] = []
        var prefixes: [JSONValue] = []
        for entry in page {
            if entry.isPrefix {
                prefixes.append(.string(entry.key))
            } else if let key = try? ObjectKey(bucket: bucket, name: entry.key), let object = current(key) {
                items.append(object.json(baseURL: baseURL))
            }
        }
        var result: [String: JSONValue] = ["kind": .string("storage#objects")]
        if !items.isEmpty { result["items"] = .array(items) }
        if !prefixes.isEmpty { result["prefixes"] = .array(prefixes) }
        if keys.count > page.count, let last = page.last { result["nextPageToken"] = .string(last.key) }
        return .object(result)
    }

    /// Appends the object names under `segments` of the bucket: regular files, and folders that have a marker's
    /// sidecar. Links, FIFOs and names that are not storable object names are not objects, and a link to a folder
    /// is never entered.
    private func collectNames(bucket: String, under segments: [String], into names: inout [String]) {
        let folderName = segments.map { $0 + "/" }.joined()
        for entry in objects.entries([bucket] + segments) {
            let name = folderName + entry.name
            switch entry.kind {
            case .directory:
                guard let key = try? ObjectKey(bucket: bucket, name: name + "/") else { continue }
                if meta.status(key.sidecarComponents) != nil { names.append(name + "/") }
                collectNames(bucket: bucket, under: segments + [entry.name], into: &names)
            case .file:
                // Files being written (AtomicFile's temporaries) are not objects yet.
                if entry.name.hasPrefix(".") && entry.name.hasSuffix(".tmp") { continue }
                if (try? ObjectKey(bucket: bucket, name: name)) != nil { names.append(name) }
            case .other:
                continue
            }
        }
    }
}
