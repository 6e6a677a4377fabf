import Yams

/// `Yams.load(yaml:)` without its crash: its constructor force-unwraps every mapping key as a
/// string, so a key that is a list or a mapping (`{[a]: b}`, found by FuzzVersionsFile) stops the
/// process. The text is composed first and such a key refused, then constructed as `load` does.
enum VersionsYAML {
    /// The document's value (`[String: Any]`, `[Any]`, a scalar), nil for an empty text.
    ///
    /// Limits: 1 MiB of text, nesting as libyaml allows (it refuses deeper documents), and 10000
    /// values once aliases are expanded (a few lines of anchors and aliases can stand for billions).
    static func load(_ text: String) throws -> Any? {
        guard text.utf8.count <= 1 << 20 else { throw TooLarge(what: "is larger than 1 MiB") }
        guard let root = try Yams.compose(yaml: text) else { return nil }
        var nodes = [root]
        var visited = 0
        while let node = nodes.popLast() {
            visited += 1
            guard visited <= 10_000 else { throw TooLarge(what: "holds more than 10000 values once its aliases are expanded") }
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

    /// A document beyond the limits.
    struct TooLarge: Error, CustomStringConvertible {
        let what: String
        var description: String { "the document \(what); a versions file is four lines" }
    }

    /// A mapping key that is not a plain value.
    struct NonScalarKey: Error, CustomStringConvertible {
        var description: String { "a key is a list or a mapping, not a name" }
    }
}
