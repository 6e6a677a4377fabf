import Core
import Foundation
import RPCVersionSource
import TestSupport
import Testing

@Suite struct RPCVersionSourceTests {
    func source(_ node: FakeLavaNode, timeouts: HTTPTimeouts = testTimeouts) throws -> RPCVersionSource {
        RPCVersionSource(node: try RPCVersionSource.endpoint(node.url), http: testHTTP, timeouts: timeouts, retries: testRetries)
    }

    func expectError(_ source: RPCVersionSource, containing message: String) async {
        await TestSupport.expectError(containing: message) { _ = try await source.read() }
    }

    @Test func readsTheVersionChangesOfTheProposalsInTheirVotingPeriod() async throws {
        let node = try await FakeLavaNode()
        #expect(try await source(node).pendingVersions().isEmpty, "an empty answer is no proposal")
        let json = #"{"provider_target":"6.3.0","provider_min":"5.5.1","consumer_target":"6.3.0","consumer_min":"5.5.1"}"#
        node.update {
            $0.proposalsBytes = FakeLavaNode.proposalsBytes([
                (id: 41, message: .other, votingEnd: 1_796_205_600),
                (id: 42, message: .parameterChange(json: json), votingEnd: 1_796_205_600),
                (id: 300, message: .setVersion(["6.4.0", "6.3.0", "6.4.1", "6.3.0"]), votingEnd: nil),
            ])
        }
        let pending = try await source(node).pendingVersions()
        #expect(pending.map(\.proposal) == ["42", "300"])
        #expect(pending[0].versions == required(target: "6.3.0", min: "5.5.1"))
        #expect(pending[0].votingEnd == Date(timeIntervalSince1970: 1_796_205_600))
        #expect(pending[1].versions.providerTarget == v("6.4.0"))
        #expect(pending[1].versions.consumerTarget == v("6.4.1"))
        let call = try #require(node.server.requests.last?.text)
        #expect(call.contains(#""path":"/cosmos.gov.v1.Query/Proposals","data":"0802""#), "\(call)")

        node.update { $0.proposalsBytes = [0x0a, 0x05, 0x01] }  // a length past the end
        await TestSupport.expectError(containing: "the proposals cannot be read") { _ = try await source(node).pendingVersions() }
        await node.stop()
    }

    @Test func readsTheVersionsChainIdAndHeight() async throws {
        let node = try await FakeLavaNode()
        node.update { $0.height = 98765 }
        let reading = try await source(node).read()
        #expect(
            reading.versions
                == (try ProtocolVersion(providerTarget: "6.2.5", providerMin: "5.5.1", consumerTarget: "6.2.5", consumerMin: "5.5.1")))
        #expect(reading.chainID == "lava-testnet-2")
        #expect(reading.height == 98765)
        #expect(reading.location == node.url)
        let query = try #require(node.server.requests.first)
        #expect(query.method == "POST")
        let call = try #require(JSONSerialization.jsonObject(with: Data(query.body)) as? [String: Any])
        #expect(call["method"] as? String == "abci_query")
        #expect((call["params"] as? [String: Any])?["path"] as? String == "/lavanet.lava.protocol.Query/Params")
        #expect(node.server.requests.map(\.uri).last == "/status")
        await node.stop()
    }

    /// A check on every block must cost the node one request: the chain id is read with the first
    /// read, and again only after a failed read or a (re)connect of the block feed.
    @Test func aCheckIsOneRequestOnceTheChainIsKnown() async throws {
        let node = try await FakeLavaNode()
        let source = try source(node)
        func uris() -> [String] { node.server.requests.map(\.uri) }
        #expect(try await source.read().chainID == "lava-testnet-2")
        #expect(uris().filter { $0 == "/status" }.count == 1)
        let before = uris().count
        for _ in 1...3 { #expect(try await source.read().chainID == "lava-testnet-2") }
        #expect(uris().count == before + 3, "\(uris())")
        #expect(uris().filter { $0 == "/status" }.count == 1)

        // A failed read forgets the chain: the next read asks /status again.
        node.update { $0.chainID = "lava-mainnet-1" }
        node.update { $0.paramsOverride = .json("{}", status: 500) }
        await TestSupport.expectError(containing: "500") { _ = try await source.read() }
        node.update { $0.paramsOverride = nil }
        #expect(try await source.read().chainID == "lava-mainnet-1")
        #expect(uris().filter { $0 == "/status" }.count == 2)

        // So does a (re)connect of the block feed: the URL may reach another node now.
        node.update { $0.chainID = "lava-testnet-2" }
        _ = try await source.blocks()
        #expect(try await source.read().chainID == "lava-testnet-2")
        #expect(uris().filter { $0 == "/status" }.count == 3)
        await node.stop()
    }

    @Test func followsChangesOnTheChain() async throws {
        let node = try await FakeLavaNode()
        let source = try source(node)
        #expect(try await source.read().versions.target == v("6.2.5"))
        node.require(target: "6.3.0", min: "6.2.5")
        #expect(try await source.read().versions.target == v("6.3.0"))
        await node.stop()
    }

    @Test(arguments: [
        ("tcp://localhost:26657", "http://localhost:26657"),
        ("http://10.0.0.1:26657/", "http://10.0.0.1:26657"),
        ("https://rpc.lavanet.xyz:443/", "https://rpc.lavanet.xyz:443"),
        ("https://lava.example/rpc", "https://lava.example/rpc"),
    ])
    func nodeURLs(_ flag: String, _ url: String) throws {
        #expect(try RPCVersionSource.endpoint(flag).absoluteString == url)
    }

    @Test(arguments: ["localhost:26657", "ftp://x", "tcp://", "", "http://"])
    func badNodeURLsAreRefused(_ flag: String) {
        let error = #expect(throws: OptionError.self) { try RPCVersionSource.endpoint(flag) }
        // The schemes --node takes, its example among them, and the text as given (not as rewritten).
        #expect(
            error?.description
                == "--node must be a tcp://, http:// or https:// URL with a host, e.g. tcp://localhost:26657; got '\(flag)'")
    }

    @Test func aNonZeroCodeQuotesTheNodesLog() async throws {
        let node = try await FakeLavaNode()
        node.update {
            $0.paramsOverride = .json(
                #"{"jsonrpc":"2.0","id":1,"result":{"response":{"code":6,"log":"unknown query path","codespace":"sdk","height":"5"}}}"#)
        }
        await expectError(
            try source(node), containing: "refused the query /lavanet.lava.protocol.Query/Params with code 6 (sdk): unknown query path")
        #expect(node.server.requests.count == 1)
        await node.stop()
    }

    @Test(arguments: [
        (
            FakeHTTPServer.Reply.json(#"{"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"Internal error","data":"timed out"}}"#),
            "JSON-RPC error -32603: Internal error (timed out)"
        ),
        (.json("<html>bad gateway</html>"), "the body is not JSON"),
        (.json(#"{"jsonrpc":"2.0","id":1,"result":{"response":{"code":0}}}"#), "the abci_query answer has no value"),
        (.json(#"{"jsonrpc":"2.0","id":1,"result":{}}"#), "field result.response is missing"),
        (.json(#"{"jsonrpc":"2.0","id":1,"result":{"response":{"code":0,"value":"%%%"}}}"#), "not base64"),
        (.json(#"{"jsonrpc":"2.0","id":1,"result":{"response":{"code":0,"value":"CgQKAggB"}}}"#), "the protocol params cannot be used"),
        (
            .json(
                #"{"jsonrpc":"2.0","id":1,"result":{"response":{"code":0,"value":"\#(Data(FakeLavaNode.paramsBytes(["6.2.5", "7.0.0", "6.2.5", "5.5.1"])).base64EncodedString())"}}}"#
            ), "7.0.0 is above provider_target 6.2.5"
        ),
        (
            .json(
                #"{"jsonrpc":"2.0","id":1,"result":{"response":{"code":0,"value":"\#(Data(FakeLavaNode.paramsBytes(["v6.2.5-rc1", "5.5.1", "6.2.5", "5.5.1"])).base64EncodedString())"}}}"#
            ), "'v6.2.5-rc1' is not a version"
        ),
        (.json("not found", status: 404), "answered HTTP 404: not found"),
        (
            .truncated(declared: 500, body: Array(#"{"jsonrpc":"2.0","id":1,"res"#.utf8)),
            "closed the connection before the answer was complete"
        ),
    ])
    func everyBadAnswerIsAClearError(_ reply: FakeHTTPServer.Reply, _ message: String) async throws {
        let node = try await FakeLavaNode()
        node.update { $0.paramsOverride = reply }
        await expectError(try source(node), containing: message)
        await node.stop()
    }

    @Test func malformedAnswersAreNotRetriedButServerErrorsAre() async throws {
        let node = try await FakeLavaNode()
        node.update { $0.paramsOverride = .json("{}") }
        await expectError(try source(node), containing: "neither result nor error")
        #expect(node.server.requests.count == 1)

        let calls = Counter()
        let server = try await FakeHTTPServer { request in
            calls.increment()
            return .respond(status: 503, body: Array("busy \(calls.value)".utf8))
        }
        let source = RPCVersionSource(node: URL(string: server.baseURL)!, http: testHTTP, timeouts: testTimeouts, retries: testRetries)
        // Every try is answered 503: three tries (testRetries), and the last answer is the one reported.
        await expectError(source, containing: "answered HTTP 503: busy 3")
        #expect(calls.value == 3)
        await server.stop()
        await node.stop()
    }

    @Test func aSilentNodeTimesOut() async throws {
        let node = try await FakeLavaNode()
        node.update { $0.override = .silent }
        let source = RPCVersionSource(
            node: URL(string: node.url)!, http: testHTTP, timeouts: HTTPTimeouts(connect: .seconds(1), total: .milliseconds(300)),
            retries: RetryPolicy(attempts: 2, backoff: .milliseconds(10)))
        await expectError(source, containing: "no complete answer within 0.3 seconds")
        // The server notes a request once it has read it, which under load may come after the timeout.
        try await waitUntil("both tries reached the node: \(node.server.requests.count)") { node.server.requests.count >= 2 }
        #expect(node.server.requests.count == 2)
        await node.stop()
    }

    @Test func aRefusedConnectionIsAClearError() async throws {
        let refusing = try RefusingPort()
        let source = RPCVersionSource(
            node: URL(string: refusing.url)!, http: testHTTP, timeouts: testTimeouts, retries: RetryPolicy(attempts: 1))
        await expectError(source, containing: "connection refused")
    }

    @Test func itsFlagsParseAndTheFactoryNeedsAnHTTPNode() throws {
        let temp = try TemporaryDirectory()
        let context = PluginContext(store: Store(directory: temp.url), logger: CapturedLogs().logger(), http: testHTTP)
        #expect(try RPCVersionSource.make(options: .parse([]), context: context).node.absoluteString == "http://localhost:26657")
        let source = try RPCVersionSource.make(options: .parse(["--node", "tcp://127.0.0.1:26657"]), context: context)
        #expect(source.node.absoluteString == "http://127.0.0.1:26657")
        #expect(throws: OptionError.self) { try RPCVersionSource.make(options: .parse(["--node", "127.0.0.1:26657"]), context: context) }
        #expect(throws: (any Error).self) { try RPCVersionSource.Options.parse(["--versions-file", "v.yml"]) }
    }
}
