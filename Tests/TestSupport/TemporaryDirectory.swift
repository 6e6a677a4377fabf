public import Foundation

/// A fresh folder for one test, removed when the value goes away.
public final class TemporaryDirectory: Sendable {
    /// The folder.
    public let url: URL

    /// Creates `/tmp/lavavisor-tests.<random>/`.
    public init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("lavavisor-tests.\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Ends whatever a failed test left running from the folder (see `LeftoverProcesses`), then removes it.
    deinit {
        LeftoverProcesses.kill(mentioning: url.path)
        try? FileManager.default.removeItem(at: url)
    }

    /// A path inside the folder.
    public func path(_ relative: String) -> URL { url.appendingPathComponent(relative) }

    /// Writes `text` to `relative`, creating folders; returns the file.
    @discardableResult
    public func write(_ text: String, to relative: String, executable: Bool = false) throws -> URL {
        let file = path(relative)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: file)
        if executable { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file.path) }
        return file
    }
}

/// Paths in the source tree.
public enum Repository {
    /// The repository's root folder.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// A file under `Tests/Fixtures`.
    public static func fixture(_ name: String) -> URL {
        root.appendingPathComponent("Tests/Fixtures").appendingPathComponent(name)
    }
}
