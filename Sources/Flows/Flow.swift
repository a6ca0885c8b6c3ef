/// A Kestra flow file, parsed with every value's source location kept.
public struct Flow: Sendable {}
