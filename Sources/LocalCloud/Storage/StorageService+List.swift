import Foundation

/// `objects.list` over the bucket folder.
extension StorageService {
    /// `objects.list`: every object name under the bucket folder, with prefix, delimiter and paging.
    func list(
        bucket: String, prefix: String, delimiter: String?, maxResults: Int, pageToken: String?,
        startOffset: String?, endOffset: String?, baseURL: String
    ) throws(APIError) -> JSONValue {
        guard bucketExists(bucket) else {
            throw APIError.notFound("The specified bucket does not exist.", shape: .storage)
        }
        var names: [String] = []
        let bucketFolder = objectsRoot.appendingPathComponent(bucket)
        let startFolder: URL
        if let slash = prefix.lastIndex(of: "/") {
            startFolder = bucketFolder.appendingPathComponent(String(prefix[..<slash]))
        } else {
            startFolder = bucketFolder
        }
        let base = bucketFolder.standardizedFileURL.path + "/"
        if let enumerator = FileManager.default.enumerator(
            at: startFolder, includingPropertiesForKeys: [.isDirectoryKey], options: [])
        {
            for case let url as URL in enumerator {
                let path = url.standardizedFileURL.path
                guard path.hasPrefix(base) else { continue }
                let relative = String(path.dropFirst(base.count))
                let isDirectory = (try? url.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) ?? false
                if isDirectory {
                    if FileManager.default.fileExists(atPath: sidecarURL(bucket, relative + "/").path) {
                        names.append(relative + "/")
                    }
                } else if !url.lastPathComponent.hasPrefix(".") || !url.lastPathComponent.hasSuffix(".tmp") {
                    names.append(relative)
                }
            }
        }
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
            } else if let object = current(bucket, entry.key) {
                items.append(object.json(baseURL: baseURL))
            }
        }
        var result: [String: JSONValue] = ["kind": .string("storage#objects")]
        if !items.isEmpty { result["items"] = .array(items) }
        if !prefixes.isEmpty { result["prefixes"] = .array(prefixes) }
        if keys.count > page.count, let last = page.last { result["nextPageToken"] = .string(last.key) }
        return .object(result)
    }
}
