public import ArgumentParser
public import Core
public import Foundation

/// The `rest` version source: `GET {rest}/lavanet/lava/protocol/params` on a node's Cosmos REST
/// (LCD) API, and `/cosmos/base/tendermint/v1beta1/node_info` for the chain id.
public struct RESTVersionSource: VersionSource {
    public static let id = "rest"
    public static let summary = "reads the protocol params from a Lava node's Cosmos REST (LCD) API (--rest-url)"

    /// The flags of the `rest` version source.
    public struct Options: PluginOptions {
        public typealias Owner = RESTVersionSource

        /// `--rest-url`.
        @Option(name: .customLong("rest-url"), help: "The node's Cosmos REST (LCD) API URL, e.g. http://localhost:1317.")
        public var restURL: String?

        /// The defaults.
        public init() {}
    }

    /// The REST API's base URL.
    public let base: URL
    private let http: any HTTPExecutor
    private let timeouts: HTTPTimeouts
    private let retries: RetryPolicy

    /// A source reading `base`.
    public init(base: URL, http: any HTTPExecutor, timeouts: HTTPTimeouts = HTTPTimeouts(), retries: RetryPolicy = RetryPolicy()) {
        self.base = base
        self.http = http
        self.timeouts = timeouts
        self.retries = retries
    }

    public static func make(options: Options, context: PluginContext) throws -> RESTVersionSource {
        guard let text = options.restURL, !text.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw OptionError("--version-source rest needs --rest-url URL: the node's REST (LCD) API, e.g. http://localhost:1317")
        }
        let url = try HTTPURL.parse(text, flag: "--rest-url", example: "http://localhost:1317")
        return RESTVersionSource(base: url, http: context.http, timeouts: context.timeouts, retries: context.retries)
    }

    public func read() async throws -> VersionReading {
        let (versions, height) = try await retries.run(retryable: RetryPolicy.isTransient) { try await params() }
        let chainID = try await retries.run(retryable: RetryPolicy.isTransient) { try await network() }
        return VersionReading(versions: versions, location: base.absoluteString, chainID: chainID, height: height)
    }

    private func params() async throws -> (ProtocolVersion, Int64?) {
        let url = base.appendingPathComponent("lavanet/lava/protocol/params")
        let response = try await http.execute(HTTPRequest(.get, url), timeouts: timeouts, maxBodyBytes: 1 << 20)
        let answer = try JSONAnswer.decode(ParamsAnswer.self, from: response, url: url, what: "the params answer")
        let height = (response.header("Grpc-Metadata-X-Cosmos-Block-Height") ?? response.header("X-Cosmos-Block-Height")).flatMap {
            Int64($0)
        }
        return (answer.params.version, height)
    }

    /// The version changes of the proposals in their voting period:
    /// `GET {rest}/cosmos/gov/v1/proposals?proposal_status=PROPOSAL_STATUS_VOTING_PERIOD`.
    public func pendingVersions() async throws -> [PendingVersion] {
        var components = URLComponents(url: base.appendingPathComponent("cosmos/gov/v1/proposals"), resolvingAgainstBaseURL: false)!
        components.queryItems = [URLQueryItem(name: "proposal_status", value: "PROPOSAL_STATUS_VOTING_PERIOD")]
        let url = components.url!
        let response = try await retries.run(retryable: RetryPolicy.isTransient) {
            try await http.execute(HTTPRequest(.get, url), timeouts: timeouts, maxBodyBytes: 8 << 20)
        }
        guard response.status == 200 else { throw HTTPStatusError(url: url.absoluteString, status: response.status, body: response.body) }
        return try RESTAnswers.pendingVersions(response.body, url: url)
    }

    private func network() async throws -> String {
        let url = base.appendingPathComponent("cosmos/base/tendermint/v1beta1/node_info")
        let response = try await http.execute(HTTPRequest(.get, url), timeouts: timeouts, maxBodyBytes: 1 << 20)
        return try JSONAnswer.decode(NodeInfoAnswer.self, from: response, url: url, what: "the node_info answer").defaultNodeInfo.network
    }
}

/// `{"params":{"version":{…}}}`.
struct ParamsAnswer: Decodable {
    struct Params: Decodable { let version: ProtocolVersion }
    let params: Params
}

/// `{"default_node_info":{"network":"lava-mainnet-1",…}}`.
struct NodeInfoAnswer: Decodable {
    struct Info: Decodable { let network: String }
    let defaultNodeInfo: Info
    enum CodingKeys: String, CodingKey { case defaultNodeInfo = "default_node_info" }
}
