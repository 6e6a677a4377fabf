import Yams

/// `Yams.load(yaml:)` without its crash: its constructor force-unwraps every mapping key as a
/// string, so a key that is a list or a mapping (`{[a]: b}`, found by FuzzVersionsFile) stops the
/// process. The text is composed first and such a key refused, then constructed as `load` does.
enum VersionsYAML {
    /// The document's value (`[String: Any]`, `[Any]`, a scalar), nil for an empty text.
    static func load(_ text: String) throws -> Any? {
        guard let root = try Yams.compose(yaml: text) else { return nil }
        var nodes = [root]
        while let node = nodes.popLast() {
            switch node {
            case .mapping(let mapping):
                for (key, value) in mapping {
                    guard key.scalar != nil else { throw NonScalarKey() }
                    nodes.append(value)
                }
            case .sequence(let sequence): nodes.append(contentsOf: sequence)
            case .scalar, .alias: continue
            }
        }
        return root.any
    }

    /// A mapping key that is not a plain value.
    struct NonScalarKey: Error, CustomStringConvertible {
        var description: String { "a key is a list or a mapping, not a name" }
    }
}
