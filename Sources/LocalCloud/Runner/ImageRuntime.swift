import Foundation

/// Which local runtime stands in for a container image, since LocalCloud runs no container engine.
enum ImageRuntime: Sendable, Equatable {
    /// The host's own programs (`/bin/sh`, coreutils, whatever is installed).
    case host
    /// A cached Python virtual environment with the `kestra` package, for Kestra's Python images.
    case python

    /// The Kestra Python family: `ghcr.io/kestra-io/pydata`, `kestrapy`, `python:*`.
    static func forImage(_ image: String) -> ImageRuntime {
        let lower = image.lowercased()
        let lastComponent = lower.split(separator: "/").last.map(String.init) ?? lower
        if lower.contains("kestra-io/pydata") || lower.contains("kestrapy") || lastComponent == "python"
            || lastComponent.hasPrefix("python:") || lastComponent.hasPrefix("python@")
        {
            return .python
        }
        return .host
    }

    func describe(image: String, pythonDirectory: URL) -> String {
        switch self {
        case .host:
            return
                "LocalCloud runs image \(image) as the host system (no container engine): commands use the host's programs."
        case .python:
            return "LocalCloud runs image \(image) as the Python virtual environment \(pythonDirectory.path) "
                + "(python3 with the kestra package)."
        }
    }
}
