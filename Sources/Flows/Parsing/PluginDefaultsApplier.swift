/// Applies `pluginDefaults` to a task's (or task runner's) mapping, as Kestra does: every entry whose
/// `type` is a prefix of the plugin's type applies, in file order; without `forced` the plugin's own
/// values win, with `forced` the defaults win. Mappings merge key by key, recursively; anything else
/// is replaced.
struct PluginDefaultsApplier {
    let defaults: [PluginDefault]

    func apply(to node: YAMLNode, pluginType: String) -> YAMLNode {
        let matching = defaults.filter { $0.applies(to: pluginType) }
        guard !matching.isEmpty, node.entries != nil else { return node }
        var result = node
        let regular = matching.filter { !$0.forced.value }
        let forced = matching.filter { $0.forced.value }
        if !regular.isEmpty {
            let combined = regular.dropFirst().reduce(regular[0].values) { Self.merge(base: $0, override: $1.values) }
            result = Self.merge(base: combined, override: result, keepLocationOf: result)
        }
        for entry in forced {
            result = Self.merge(base: result, override: entry.values, keepLocationOf: result)
        }
        return result
    }

    /// `override`'s entries win; mappings on both sides merge recursively.
    static func merge(base: YAMLNode, override: YAMLNode, keepLocationOf anchor: YAMLNode? = nil) -> YAMLNode {
        guard let baseEntries = base.entries, let overrideEntries = override.entries else { return override }
        var merged: [YAMLEntry] = []
        for entry in overrideEntries {
            if let baseValue = baseEntries.first(where: { $0.key.value == entry.key.value })?.value {
                merged.append(YAMLEntry(key: entry.key, value: merge(base: baseValue, override: entry.value)))
            } else {
                merged.append(entry)
            }
        }
        for entry in baseEntries where !overrideEntries.contains(where: { $0.key.value == entry.key.value }) {
            merged.append(entry)
        }
        let location = (anchor ?? override).location
        return YAMLNode(.mapping(merged), at: location, isFlowStyle: override.isFlowStyle)
    }
}
