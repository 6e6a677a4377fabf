public import ArgumentParser
public import Core
public import Foundation
import NIOSSL
import Synchronization
import TLSTrust

/// The `rpc` version source (the default, as in the original): an ABCI query of
/// `/lavanet.lava.protocol.Query/Params` on a node's CometBFT RPC, and `/status` for the chain id.
/// Every request has the configured timeouts and is retried within one check. A check is one
/// request: the chain id is read with the first one, and again after a failed read and whenever
/// the new-block feed (re)connects (a node behind the URL that changed comes with a new connection).
public struct RPCVersionSource: VersionSource {
    public static let id = "rpc"
    public static let summary = "queries a Lava node's CometBFT RPC (--node): ABCI query of the protocol params, /status for chain id"

    /// The ABCI query path of the protocol module's parameters.
    public static let paramsPath = "/lavanet.lava.protocol.Query/Params"

    /// The flags of the `rpc` version source.
    public struct Options: PluginOptions {
        public typealias Owner = RPCVersionSource

        /// `--node`.
        @Option(help: "The Lava node's CometBFT RPC URL (tcp:// means http://; an https node's blocks are followed over wss).")
        public var node = "tcp://localhost:26657"

        /// `--websocket-url`.
        @Option(
            name: .customLong("websocket-url"),
            help:
                "Where the node's websocket is, when not on --node's host and port (a proxy), e.g. ws://10.0.0.5:26657 or wss://rpc.example."
        )
        public var websocketURL: String?

        /// `--no-subscribe`.
        @Flag(
            name: .customLong("no-subscribe"),
            help: "Do not follow new blocks over the node's websocket: check every poll interval only.")
        public var noSubscribe = false

        /// The defaults.
        public init() {}
    }

    /// The node's RPC URL, http or https.
    public let node: URL
    private let http: any HTTPExecutor
    private let timeouts: HTTPTimeouts
    private let retries: RetryPolicy
    /// The new-block feed, nil with `--no-subscribe`.
    public let feed: NewBlockFeed?
    /// The chain id `/status` reported; nil until read, and after a failed read or a (re)connect.
    private let chainID = KnownChainID()

    /// A source querying `node`, following its new blocks with `feed`.
    public init(
        node: URL, http: any HTTPExecutor, timeouts: HTTPTimeouts = HTTPTimeouts(), retries: RetryPolicy = RetryPolicy(),
        feed: NewBlockFeed? = nil
    ) {
        self.node = node
        self.http = http
        self.timeouts = timeouts
        self.retries = retries
        self.feed = feed
    }

    public static func make(options: Options, context: PluginContext) throws -> RPCVersionSource {
        let node = try endpoint(options.node)
        let websocket = try options.websocketURL.map { try endpoint($0, flag: "--websocket-url") } ?? node
        let feed =
            options.noSubscribe
            ? nil
            : NewBlockFeed(
                node: websocket, tls: websocket.scheme == "https" ? try tls(context) : nil, connectTimeout: context.timeouts.connect)
        return RPCVersionSource(node: node, http: context.http, timeouts: context.timeouts, retries: context.retries, feed: feed)
    }

    /// The TLS of a wss feed: the system's CAs and `--ca-file`'s, as every HTTPS request.
    private static func tls(_ context: PluginContext) throws -> NIOSSLContext {
        let configuration = try TLSTrust.clientConfiguration(caFile: context.caFile)
        do { return try NIOSSLContext(configuration: configuration) } catch {
            throw OptionError("cannot set up TLS for the node's websocket (\(error)); if --ca-file is given, check that file")
        }
    }

    /// The heights of new blocks from the node's websocket, unless `--no-subscribe`.
    public func blocks() async throws -> AsyncThrowingStream<Int64, any Error>? {
        chainID.value.withLock { $0 = nil }  // a new connection may reach another node: its chain is read again
        return try await feed?.open()
    }

    /// The URL of `--node` or `--websocket-url`: `tcp://` and `ws://` mean `http://`, `wss://`
    /// means `https://`; http and https are taken as they are.
    public static func endpoint(_ text: String, flag: String = "--node") throws -> URL {
        let given = text
        var text = text.trimmingCharacters(in: .whitespaces)
        for (scheme, meaning) in [("tcp://", "http://"), ("ws://", "http://"), ("wss://", "https://")]
        where text.lowercased().hasPrefix(scheme) {
            text = meaning + text.dropFirst(scheme.count)
        }
        do { return try HTTPURL.parse(text, flag: flag) } catch {
            guard flag == "--websocket-url" else {
                throw OptionError(
                    "\(flag) must be a tcp://, http:// or https:// URL with a host, e.g. tcp://localhost:26657; got '\(given)'")
            }
            throw OptionError(
                "--websocket-url must be a ws://, wss://, http:// or https:// URL with a host, e.g. wss://rpc.example; got '\(given)'")
        }
    }

    public func read() async throws -> VersionReading {
        do {
            let (versions, height) = try await retries.run(retryable: RetryPolicy.isTransient) { try await queryParams() }
            if let known = chainID.value.withLock({ $0 }) {
                return VersionReading(versions: versions, location: node.absoluteString, chainID: known, height: height)
            }
            let status = try await retries.run(retryable: RetryPolicy.isTransient) { try await nodeStatus() }
            chainID.value.withLock { $0 = status.chainID }
            return VersionReading(
                versions: versions, location: node.absoluteString, chainID: status.chainID, height: height ?? status.height)
        } catch {
            chainID.value.withLock { $0 = nil }
            throw error
        }
    }

    /// The version changes of the proposals in their voting period: an ABCI query of
    /// `/cosmos.gov.v1.Query/Proposals`.
    public func pendingVersions() async throws -> [PendingVersion] {
        let path = "/cosmos.gov.v1.Query/Proposals"
        let (bytes, _) = try await retries.run(retryable: RetryPolicy.isTransient) {
            try await abciQuery(path, data: ProposalsDecoder.votingPeriodRequest, what: "the proposals")
        }
        do { return try ProposalsDecoder.decode(bytes) } catch {
            throw AnswerError(url: node.absoluteString, problem: "the proposals cannot be read: \(error)")
        }
    }

    /// The params query.
    private func queryParams() async throws -> (ProtocolVersion, Int64?) {
        let (bytes, height) = try await abciQuery(Self.paramsPath, data: "", what: "the protocol params")
        do {
            return (try ParamsDecoder.decode(bytes), height)
        } catch {
            throw AnswerError(url: node.absoluteString, problem: "the protocol params cannot be used: \(error)")
        }
    }

    /// An ABCI query of `path` with `data` (hex), as a JSON-RPC POST: the value's bytes and the height.
    private func abciQuery(_ path: String, data: String, what: String) async throws -> ([UInt8], Int64?) {
        let call =
            #"{"jsonrpc":"2.0","id":1,"method":"abci_query","params":{"path":"\#(path)","data":"\#(data)","height":"0","prove":false}}"#
        let request = HTTPRequest(.post, node, headers: [("Content-Type", "application/json")], body: Array(call.utf8))
        let response = try await http.execute(request, timeouts: timeouts, maxBodyBytes: 1 << 20)
        let envelope = try JSONAnswer.decode(RPCEnvelope<ABCIResult>.self, from: response, url: node, what: "the abci_query answer")
        let answer = try envelope.unwrap(url: node, method: "abci_query").response
        if let code = answer.code, code != 0 {
            throw AnswerError(
                url: node.absoluteString,
                problem:
                    "the node refused the query \(path) with code \(code)\(answer.codespace.map { " (\($0))" } ?? ""): \(answer.log ?? "no log")"
            )
        }
        let height = answer.height.flatMap { Int64($0) }
        guard let value = answer.value, !value.isEmpty else {
            // An empty answer is an empty message: no proposals; the params are never empty.
            guard path == Self.paramsPath else { return ([], height) }
            throw AnswerError(url: node.absoluteString, problem: "the abci_query answer has no value: is this a Lava node?")
        }
        guard let bytes = Data(base64Encoded: value) else {
            throw AnswerError(url: node.absoluteString, problem: "the abci_query value for \(what) is not base64")
        }
        return (Array(bytes), height)
    }

    /// `/status`: the chain id and the latest height.
    private func nodeStatus() async throws -> (chainID: String, height: Int64?) {
        let url = node.appendingPathComponent("status")
        let response = try await http.execute(HTTPRequest(.get, url), timeouts: timeouts, maxBodyBytes: 1 << 20)
        let status = try JSONAnswer.decode(RPCEnvelope<StatusResult>.self, from: response, url: url, what: "the /status answer")
            .unwrap(url: url, method: "status")
        return (status.nodeInfo.network, Int64(status.syncInfo.latestBlockHeight))
    }
}

/// The chain id a node reported, shared by the copies of one source.
final class KnownChainID: Sendable {
    let value = Mutex<String?>(nil)
}

/// A JSON-RPC 2.0 answer: a result or an error.
struct RPCEnvelope<Result: Decodable>: Decodable {
    struct Failure: Decodable {
        let code: Int
        let message: String
        let data: String?
    }
    let result: Result?
    let error: Failure?

    func unwrap(url: URL, method: String) throws -> Result {
        if let error {
            throw AnswerError(
                url: url.absoluteString,
                problem: "\(method) failed with JSON-RPC error \(error.code): \(error.message)\(error.data.map { " (\($0))" } ?? "")")
        }
        guard let result else { throw AnswerError(url: url.absoluteString, problem: "the \(method) answer has neither result nor error") }
        return result
    }
}

/// `result` of `abci_query`.
struct ABCIResult: Decodable {
    struct Response: Decodable {
        let code: Int?
        let log: String?
        let value: String?
        let height: String?
        let codespace: String?
    }
    let response: Response
}

/// `result` of `status`.
struct StatusResult: Decodable {
    struct NodeInfo: Decodable { let network: String }
    struct SyncInfo: Decodable {
        let latestBlockHeight: String
        enum CodingKeys: String, CodingKey { case latestBlockHeight = "latest_block_height" }
    }
    let nodeInfo: NodeInfo
    let syncInfo: SyncInfo
    enum CodingKeys: String, CodingKey {
        case nodeInfo = "node_info"
        case syncInfo = "sync_info"
    }
}
