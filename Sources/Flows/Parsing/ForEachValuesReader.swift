import Foundation

/// Reads ForEach's `values`: a YAML list, a JSON array in a string, or a template.
struct ForEachValuesReader {
    let context: ParseContext

    func read(_ reader: MappingReader) -> ForEachTask.Values? {
        guard let node = reader.node("values") else {
            reader.missing("values")
            return nil
        }
        if let items = node.items { return .list(items) }
        guard let scalar = node.scalar else {
            context.error(
                "property 'values' of \(reader.owner) must be a list or a JSON array string, found a mapping",
                at: node.location)
            return nil
        }
        let text = Located(scalar.text, at: node.location)
        if let array = (try? JSONSerialization.jsonObject(with: Data(scalar.text.utf8), options: [])) as? [Any] {
            let items = array.map { item -> String in
                if let string = item as? String { return string }
                let data = try? JSONSerialization.data(withJSONObject: item, options: [.fragmentsAllowed, .sortedKeys])
                return data.flatMap { String(data: $0, encoding: .utf8) } ?? "\(item)"
            }
            return .json(text, items: items)
        }
        if scalar.isTemplate { return .template(text) }
        context.error(
            "property 'values' of \(reader.owner) must be a list or a JSON array string such as '[\"a\", \"b\"]', "
                + "found '\(scalar.text)'", at: node.location)
        return nil
    }
}
