/// A parsed Pebble-compatible template.
public struct Template: Sendable {}
