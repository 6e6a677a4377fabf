import Foundation
public import NIOSSL
import Synchronization

/// A fake Lava node on loopback answering exactly as a real one does: CometBFT RPC (`abci_query` of
/// `/lavanet.lava.protocol.Query/Params` as JSON-RPC POST or GET, `/status`) and Cosmos REST
/// (`/lavanet/lava/protocol/params`, `/cosmos/base/tendermint/v1beta1/node_info`).
public final class FakeLavaNode: Sendable {
    /// What the node says about the protocol versions.
    public struct State: Sendable {
        /// provider_target, provider_min, consumer_target, consumer_min, as the chain stores them.
        public var versions: [String] = ["6.2.5", "5.5.1", "6.2.5", "5.5.1"]
        /// The body of `GET /cosmos/gov/v1/proposals?proposal_status=PROPOSAL_STATUS_VOTING_PERIOD`.
        public var proposals = #"{"proposals":[],"pagination":{"next_key":null,"total":"0"}}"#
        /// The protobuf value of the ABCI query `/cosmos.gov.v1.Query/Proposals` (`QueryProposalsResponse`).
        public var proposalsBytes: [UInt8] = []
        /// `node_info.network`.
        public var chainID = "lava-testnet-2"
        /// The block height.
        public var height: Int64 = 1234
        /// When set, every request gets this answer instead.
        public var override: FakeHTTPServer.Reply?
        /// When set, only the params queries (RPC and REST) get this answer.
        public var paramsOverride: FakeHTTPServer.Reply?

        /// The genesis state of a testnet node.
        public init() {}
    }

    /// The HTTP server.
    public let server: FakeHTTPServer
    private let state: StateBox

    /// Starts the node; https when `tls` is given.
    public init(_ initial: State = State(), tls: NIOSSLContext? = nil) async throws {
        let state = StateBox(initial)
        self.state = state
        server = try await FakeHTTPServer(tls: tls) { request in FakeLavaNode.answer(request, state: state.value) }
    }

    /// `http://127.0.0.1:<port>` (https with TLS).
    public var url: String { server.baseURL }

    /// How this node answers, for another server to answer as it (a websocket fake that is the
    /// node's RPC too).
    public var answers: @Sendable (FakeHTTPServer.Request) async -> FakeHTTPServer.Reply {
        let state = self.state
        return { request in FakeLavaNode.answer(request, state: state.value) }
    }

    /// Changes what the node says.
    public func update(_ change: (inout State) -> Void) { state.update(change) }

    /// Sets the four versions: targets `target`, minimums `min`.
    public func require(target: String, min: String) { update { $0.versions = [target, min, target, min] } }

    /// Stops the node.
    public func stop() async { await server.stop() }

    /// A gov v1 proposal message that sets the versions.
    public enum ProposalMessage: Sendable {
        /// `lavanet.lava.protocol.MsgSetVersion` with these four versions.
        case setVersion([String])
        /// `MsgExecLegacyContent` around a `ParameterChangeProposal` of `protocol`/`Version` with this JSON value.
        case parameterChange(json: String)
        /// Something else (`cosmos.bank.v1beta1.MsgSend`).
        case other
    }

    /// The protobuf bytes of `QueryProposalsResponse` with one proposal per entry.
    public static func proposalsBytes(_ proposals: [(id: UInt64, message: ProposalMessage, votingEnd: Int64?)]) -> [UInt8] {
        func string(_ number: UInt64, _ text: String) -> [UInt8] { field(number, Array(text.utf8)) }
        func any(_ type: String, _ value: [UInt8]) -> [UInt8] { string(1, type) + field(2, value) }
        return proposals.flatMap { proposal -> [UInt8] in
            let message: [UInt8] =
                switch proposal.message {
                case .setVersion(let versions):
                    any(
                        "/lavanet.lava.protocol.MsgSetVersion",
                        string(1, "lava@gov") + field(2, versions.enumerated().flatMap { string(UInt64($0.offset + 1), $0.element) }))
                case .parameterChange(let json):
                    any(
                        "/cosmos.gov.v1.MsgExecLegacyContent",
                        field(
                            1,
                            any(
                                "/cosmos.params.v1beta1.ParameterChangeProposal",
                                string(1, "Protocol Version Change") + string(2, "Update version")
                                    + field(3, string(1, "protocol") + string(2, "Version") + string(3, json))))
                            + string(2, "lava@gov"))
                case .other:
                    any("/cosmos.bank.v1beta1.MsgSend", string(1, "lava@a") + string(2, "lava@b"))
                }
            var body = varint(1 << 3) + varint(proposal.id) + field(2, message) + varint(3 << 3) + varint(2)
            if let end = proposal.votingEnd { body += field(9, varint(1 << 3) + varint(UInt64(end))) }
            return field(1, body)
        }
    }

    /// The protobuf bytes of `QueryParamsResponse{Params{Version{…}}}` (this test encoder is checked
    /// against Python's protobuf by the decoder tests, which use independently made fixtures).
    public static func paramsBytes(_ versions: [String]) -> [UInt8] {
        let version = versions.enumerated().flatMap { field(UInt64($0.offset + 1), Array($0.element.utf8)) }
        return field(1, field(1, version))
    }

    /// A protobuf varint.
    private static func varint(_ value: UInt64) -> [UInt8] {
        var value = value
        var out: [UInt8] = []
        repeat {
            out.append(UInt8(value & 0x7f) | (value > 0x7f ? 0x80 : 0))
            value >>= 7
        } while value > 0
        return out
    }

    /// A length-delimited protobuf field.
    private static func field(_ number: UInt64, _ bytes: [UInt8]) -> [UInt8] {
        varint(number << 3 | 2) + varint(UInt64(bytes.count)) + bytes
    }

    private static func answer(_ request: FakeHTTPServer.Request, state: State) -> FakeHTTPServer.Reply {
        if let override = state.override { return override }
        let path = request.uri.split(separator: "?").first.map(String.init) ?? request.uri
        let isParams =
            path == "/lavanet/lava/protocol/params"
            || (path == "/abci_query" && request.uri.contains("Params"))
            || (request.method == "POST" && request.text.contains("abci_query"))
        if isParams, let override = state.paramsOverride { return override }
        switch (request.method, path) {
        case ("POST", "/"), ("POST", ""), ("GET", "/abci_query"):
            guard request.method == "GET" || request.text.contains(#""method":"abci_query""#) else {
                return .json(#"{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"Method not found"}}"#)
            }
            let isProposals = request.text.contains("/cosmos.gov.v1.Query/Proposals")
            let value = Data(isProposals ? state.proposalsBytes : paramsBytes(state.versions)).base64EncodedString()
            return .json(
                #"{"jsonrpc":"2.0","id":1,"result":{"response":{"code":0,"log":"","info":"","index":"0","key":null,"value":"\#(value)","proofOps":null,"height":"\#(state.height)","codespace":""}}}"#
            )
        case ("GET", "/status"):
            return .json(
                #"{"jsonrpc":"2.0","id":-1,"result":{"node_info":{"network":"\#(state.chainID)","version":"0.38.12","moniker":"fake"},"sync_info":{"latest_block_height":"\#(state.height)","catching_up":false}}}"#
            )
        case ("GET", "/lavanet/lava/protocol/params"):
            let v = state.versions
            return .respond(
                status: 200, headers: [("Content-Type", "application/json"), ("Grpc-Metadata-X-Cosmos-Block-Height", "\(state.height)")],
                body: Array(
                    #"{"params":{"version":{"provider_target":"\#(v[0])","provider_min":"\#(v[1])","consumer_target":"\#(v[2])","consumer_min":"\#(v[3])"}}}"#
                        .utf8))
        case ("GET", "/cosmos/gov/v1/proposals") where request.uri.contains("proposal_status=PROPOSAL_STATUS_VOTING_PERIOD"):
            return .json(state.proposals)
        case ("GET", "/cosmos/base/tendermint/v1beta1/node_info"):
            return .json(#"{"default_node_info":{"network":"\#(state.chainID)","version":"0.38.12"},"application_version":{}}"#)
        default:
            return .json(#"{"code":12,"message":"Not Implemented","details":[]}"#, status: 501)
        }
    }
}

/// The node's state, shared with the server's handler.
final class StateBox: Sendable {
    private let state: Mutex<FakeLavaNode.State>
    init(_ initial: FakeLavaNode.State) { state = Mutex(initial) }
    var value: FakeLavaNode.State { state.withLock { $0 } }
    func update(_ change: (inout FakeLavaNode.State) -> Void) { state.withLock { change(&$0) } }
}
