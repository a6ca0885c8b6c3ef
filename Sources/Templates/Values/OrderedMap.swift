/// A string-keyed map that keeps insertion order, so maps render (and serialise to JSON) in the order they were
/// written, as Kestra's `LinkedHashMap`s do.
public struct OrderedMap: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    /// The keys, in insertion order.
    public private(set) var keys: [String] = []
    private var storage: [String: TemplateValue] = [:]

    /// An empty map.
    public init() {}

    /// A map holding `pairs` in order; a repeated key keeps its first position and its last value.
    public init(_ pairs: [(String, TemplateValue)]) {
        for (key, value) in pairs { self[key] = value }
    }

    /// A map from a dictionary literal, in the literal's order.
    public init(dictionaryLiteral elements: (String, TemplateValue)...) {
        self.init(elements)
    }

    /// The value stored under `key`; setting `nil` removes the key.
    public subscript(key: String) -> TemplateValue? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    /// The number of entries.
    public var count: Int { keys.count }

    /// Whether the map has no entry.
    public var isEmpty: Bool { keys.isEmpty }

    /// The values, in key order.
    public var values: [TemplateValue] { keys.map { storage[$0]! } }

    /// The entries, in key order.
    public var entries: [(key: String, value: TemplateValue)] { keys.map { ($0, storage[$0]!) } }

    public static func == (lhs: OrderedMap, rhs: OrderedMap) -> Bool {
        lhs.keys == rhs.keys && lhs.storage == rhs.storage
    }
}
