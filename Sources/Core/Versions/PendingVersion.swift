public import Foundation

/// A governance proposal in its voting period that would set the protocol versions: a legacy
/// `ParameterChangeProposal` (subspace `protocol`, key `Version`) or a `MsgSetVersion` of the
/// `protocol` module.
public struct PendingVersion: Sendable, Hashable, Codable {
    /// The proposal's id.
    public var proposal: String
    /// The four versions it would set.
    public var versions: ProtocolVersion
    /// When its voting period ends, when known.
    public var votingEnd: Date?

    /// A pending change.
    public init(proposal: String, versions: ProtocolVersion, votingEnd: Date? = nil) {
        self.proposal = proposal
        self.versions = versions
        self.votingEnd = votingEnd
    }
}

/// Reads the version changes out of Cosmos gov v1 proposals as the REST API and `lavad q gov`
/// print them (JSON), for the version sources that see proposals.
public enum ProposalReader {
    /// The pending version changes in `{"proposals":[…]}`; proposals that change something else are skipped.
    public static func pendingVersions(inProposals json: Any) -> [PendingVersion] {
        guard let root = json as? [String: Any], let proposals = root["proposals"] as? [[String: Any]] else { return [] }
        return proposals.compactMap { proposal in
            let id = (proposal["id"] as? String) ?? (proposal["id"] as? Int).map(String.init) ?? "?"
            let messages = proposal["messages"] as? [[String: Any]] ?? []
            guard let versions = messages.lazy.compactMap(versions(in:)).first else { return nil }
            return PendingVersion(proposal: id, versions: versions, votingEnd: date(proposal["voting_end_time"]))
        }
    }

    /// The versions one proposal message sets: a `MsgExecLegacyContent` around a
    /// `ParameterChangeProposal` of `protocol`/`Version`, or a `MsgSetVersion`.
    static func versions(in message: [String: Any]) -> ProtocolVersion? {
        let type = message["@type"] as? String ?? ""
        if type.hasSuffix(".MsgSetVersion") { return protocolVersion(message["version"]) }
        guard type.hasSuffix("MsgExecLegacyContent"), let content = message["content"] as? [String: Any] else { return nil }
        let changes = content["changes"] as? [[String: Any]] ?? []
        let change = changes.first { ($0["subspace"] as? String) == "protocol" && ($0["key"] as? String) == "Version" }
        return change.flatMap { protocolVersion($0["value"]) }
    }

    /// A time as RFC 3339 text, or already a date (YAML timestamps).
    public static func date(_ value: Any?) -> Date? {
        if let date = value as? Date { return date }
        return (value as? String).flatMap { try? Date($0, strategy: .iso8601) }
    }

    /// The four versions from a JSON object, or from the JSON text of one (as param values are stored).
    public static func protocolVersion(_ value: Any?) -> ProtocolVersion? {
        var object = value as? [String: Any]
        if object == nil, let text = value as? String, let data = text.data(using: .utf8) {
            object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        }
        let texts = ProtocolVersion.CodingKeys.allCases.compactMap { object?[$0.rawValue] as? String }
        guard texts.count == 4 else { return nil }
        return try? ProtocolVersion(providerTarget: texts[0], providerMin: texts[1], consumerTarget: texts[2], consumerMin: texts[3])
    }
}
