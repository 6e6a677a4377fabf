import Core
import Foundation
import RESTVersionSource
import TestSupport
import Testing

@Suite struct RESTVersionSourceTests {
    func source(_ url: String, retries: RetryPolicy = testRetries) -> RESTVersionSource {
        RESTVersionSource(base: URL(string: url)!, http: testHTTP, timeouts: testTimeouts, retries: retries)
    }

    func expectError(_ source: RESTVersionSource, containing message: String) async {
        await TestSupport.expectError(containing: message) { _ = try await source.read() }
    }

    @Test func readsTheParamsChainIdAndHeight() async throws {
        let node = try await FakeLavaNode()
        node.update { $0.height = 4242 }
        let reading = try await source(node.url).read()
        #expect(reading.versions.target == v("6.2.5"))
        #expect(reading.versions.minimum == v("5.5.1"))
        #expect(reading.chainID == "lava-testnet-2")
        #expect(reading.height == 4242)
        #expect(node.server.requests.map(\.uri) == ["/lavanet/lava/protocol/params", "/cosmos/base/tendermint/v1beta1/node_info"])
        await node.stop()
    }

    @Test func readsTheVersionChangesOfTheProposalsInTheirVotingPeriod() async throws {
        let node = try await FakeLavaNode()
        #expect(try await source(node.url).pendingVersions().isEmpty)
        node.update {
            $0.proposals =
                #"{"proposals":[{"id":"43","voting_end_time":"2026-12-02T10:00:00Z","messages":[{"@type":"/lavanet.lava.protocol.MsgSetVersion","authority":"lava@gov","version":{"provider_target":"6.3.0","provider_min":"5.5.1","consumer_target":"6.3.0","consumer_min":"5.5.1"}}]}],"pagination":{}}"#
        }
        let pending = try await source(node.url).pendingVersions()
        #expect(
            pending == [
                PendingVersion(
                    proposal: "43", versions: required(target: "6.3.0", min: "5.5.1"), votingEnd: Date(timeIntervalSince1970: 1_796_205_600)
                )
            ])
        #expect(node.server.requests.last?.uri == "/cosmos/gov/v1/proposals?proposal_status=PROPOSAL_STATUS_VOTING_PERIOD")
        node.update { $0.override = .json("[1,", status: 200) }
        await TestSupport.expectError(containing: "the proposals answer is not JSON") { _ = try await source(node.url).pendingVersions() }
        await node.stop()
    }

    @Test(arguments: [
        (FakeHTTPServer.Reply.json(#"{"code":12,"message":"Not Implemented","details":[]}"#, status: 501), "answered HTTP 501"),
        (.json("[1,2"), "the body is not JSON"),
        (.json(#"{"params":{}}"#), "field params.version is missing"),
        (
            .json(#"{"params":{"version":{"provider_target":"6.2.5","provider_min":"5.5.1","consumer_target":"6.2.5"}}}"#),
            "consumer_min is missing"
        ),
        (
            .json(#"{"params":{"version":{"provider_target":6,"provider_min":"5.5.1","consumer_target":"6.2.5","consumer_min":"5.5.1"}}}"#),
            "provider_target is not String"
        ),
        (
            .json(
                #"{"params":{"version":{"provider_target":"6.2","provider_min":"5.5.1","consumer_target":"6.2.5","consumer_min":"5.5.1"}}}"#
            ), "'6.2' is not a version"
        ),
        (
            .json(
                #"{"params":{"version":{"provider_target":"6.2.5","provider_min":"5.5.1","consumer_target":"6.2.5","consumer_min":"6.3.0"}}}"#
            ), "6.3.0 is above consumer_target 6.2.5"
        ),
        (.truncated(declared: 300, body: Array(#"{"params":{"vers"#.utf8)), "closed the connection before the answer was complete"),
    ])
    func everyBadAnswerIsAClearError(_ reply: FakeHTTPServer.Reply, _ message: String) async throws {
        let node = try await FakeLavaNode()
        node.update { $0.paramsOverride = reply }
        await expectError(source(node.url), containing: message)
        await node.stop()
    }

    @Test func aSilentOrAbsentNodeIsAClearError() async throws {
        let node = try await FakeLavaNode()
        node.update { $0.override = .silent }
        await expectError(
            RESTVersionSource(
                base: URL(string: node.url)!, http: testHTTP, timeouts: HTTPTimeouts(connect: .seconds(1), total: .milliseconds(300)),
                retries: RetryPolicy(attempts: 1)),
            containing: "no complete answer within")
        await node.stop()
        let refusing = try RefusingPort()
        await expectError(source(refusing.url, retries: RetryPolicy(attempts: 1)), containing: "connection refused")
    }

    @Test func theFactoryNeedsAnHTTPURL() throws {
        let temp = try TemporaryDirectory()
        func make(_ flags: [String]) throws -> RESTVersionSource {
            try RESTVersionSource.make(
                options: .parse(flags), context: PluginContext(store: Store(directory: temp.url), logger: CapturedLogs().logger()))
        }
        #expect(throws: OptionError.self) { try make([]) }
        #expect(throws: OptionError.self) { try make(["--rest-url", "localhost:1317"]) }
        #expect(try make(["--rest-url", "http://localhost:1317/"]).base.absoluteString == "http://localhost:1317")
    }
}
