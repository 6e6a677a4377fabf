public import Core

extension FileVersionSource {
    /// The `pending:` entries of a versions file's text (see `pendingVersions()`); a text that is
    /// not YAML, or has no such list, has none. A pure entry point for the fuzz harness (FuzzTesting/).
    public static func pendingVersions(inText text: String) -> [PendingVersion] {
        guard let root = try? VersionsYAML.load(text) as? [String: Any], let pending = root["pending"] as? [[String: Any]] else {
            return []
        }
        return pending.compactMap { entry in
            if entry["messages"] != nil { return ProposalReader.pendingVersions(inProposals: ["proposals": [entry]]).first }
            guard let versions = ProposalReader.protocolVersion(entry) else { return nil }
            let id = entry["proposal"].map { "\($0)" } ?? "?"
            let end = ProposalReader.date(entry["voting_end_time"])
            return PendingVersion(proposal: id, versions: versions, votingEnd: end)
        }
    }
}
