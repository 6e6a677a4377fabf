public import Core
public import Foundation

/// The REST (LCD) answers as the `rest` source reads them, one pure function each, with the types
/// and decoders that `read()` and `pendingVersions()` use: entry points for the fuzz harness
/// (FuzzTesting/) and for tests, which have bytes but no node.
public enum RESTAnswers {
    /// The versions in the body of `GET /lavanet/lava/protocol/params`.
    public static func params(_ body: [UInt8]) throws -> ProtocolVersion {
        try JSONAnswer.decode(ParamsAnswer.self, from: HTTPResponse(status: 200, body: body), url: unknownURL, what: "the params answer")
            .params
            .version
    }

    /// The chain id in the body of `GET /cosmos/base/tendermint/v1beta1/node_info`.
    public static func network(_ body: [UInt8]) throws -> String {
        try JSONAnswer.decode(
            NodeInfoAnswer.self, from: HTTPResponse(status: 200, body: body), url: unknownURL, what: "the node_info answer"
        )
        .defaultNodeInfo.network
    }

    /// The version changes in the body of `GET /cosmos/gov/v1/proposals`; errors name `url`.
    public static func pendingVersions(_ body: [UInt8], url: URL = unknownURL) throws -> [PendingVersion] {
        guard let json = try? JSONSerialization.jsonObject(with: Data(body)) else {
            throw AnswerError(url: url.absoluteString, problem: "the proposals answer is not JSON")
        }
        return ProposalReader.pendingVersions(inProposals: json)
    }

    /// The URL that errors name when the answer comes without one (the fuzz harness, tests).
    public static let unknownURL = URL(string: "http://node.invalid")!
}
