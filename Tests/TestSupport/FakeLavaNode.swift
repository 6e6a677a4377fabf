import Foundation
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

    /// Starts the node.
    public init(_ initial: State = State()) async throws {
        let state = StateBox(initial)
        self.state = state
        server = try await FakeHTTPServer { request in FakeLavaNode.answer(request, state: state.value) }
    }

    /// `http://127.0.0.1:<port>`.
    public var url: String { server.baseURL }

    /// Changes what the node says.
    public func update(_ change: (inout State) -> Void) { state.update(change) }

    /// Sets the four versions: targets `target`, minimums `min`.
    public func require(target: String, min: String) { update { $0.versions = [target, min, target, min] } }

    /// Stops the node.
    public func stop() async { await server.stop() }

    /// The protobuf bytes of `QueryParamsResponse{Params{Version{…}}}` (this test encoder is checked
    /// against Python's protobuf by the decoder tests, which use independently made fixtures).
    public static func paramsBytes(_ versions: [String]) -> [UInt8] {
        func field(_ number: UInt8, _ bytes: [UInt8]) -> [UInt8] { [number << 3 | 2] + varint(bytes.count) + bytes }
        func varint(_ value: Int) -> [UInt8] {
            var value = value
            var out: [UInt8] = []
            repeat {
                out.append(UInt8(value & 0x7f) | (value > 0x7f ? 0x80 : 0))
                value >>= 7
            } while value > 0
            return out
        }
        let version = versions.enumerated().flatMap { field(UInt8($0.offset + 1), Array($0.element.utf8)) }
        return field(1, field(1, version))
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
            let value = Data(paramsBytes(state.versions)).base64EncodedString()
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
