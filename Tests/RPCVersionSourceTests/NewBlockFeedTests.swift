import Core
import Foundation
import RPCVersionSource
import TestSupport
import Testing

/// The new-block feed against a loopback fake of CometBFT's websocket.
@Suite struct NewBlockFeedTests {
    func feed(_ node: FakeWebSocketNode, silence: Duration = .seconds(35)) -> NewBlockFeed {
        NewBlockFeed(node: URL(string: node.url)!, silence: silence, connectTimeout: .seconds(2))
    }

    @Test func subscribesToNewBlockHeadersAndYieldsTheirHeights() async throws {
        let node = try await FakeWebSocketNode()
        let blocks = try await feed(node).open()
        try await waitUntil("the subscription") { node.subscribers == 1 }
        #expect(node.calls == [#"{"jsonrpc":"2.0","method":"subscribe","id":1,"params":{"query":"tm.event='NewBlockHeader'"}}"#])
        var heights = blocks.makeAsyncIterator()
        await node.publish(height: 41)
        #expect(try await heights.next() == 41)
        await node.ping()
        try await waitUntil("the pong") { node.pongs == 1 }
        await node.publish(height: 42)
        #expect(try await heights.next() == 42)
        await node.stop()
    }

    @Test(arguments: [
        (FakeWebSocketNode.Mode.refuse, "did not upgrade GET /websocket to a websocket"),
        (.error, "the node refused the subscription: Internal error: max_subscriptions_per_client 5 reached"),
        (.silent, "the node sent nothing for 0.3 s"),
    ])
    func aRefusalAnErrorOrSilenceEndsTheFeedWithAClearError(_ mode: FakeWebSocketNode.Mode, _ message: String) async throws {
        let node = try await FakeWebSocketNode()
        node.set(mode)
        await expectError(containing: message) {
            // Only the silent node is left to the watchdog: under load, an answer can take longer than 0.3 s.
            for try await _ in try await feed(node, silence: mode == .silent ? .milliseconds(300) : .seconds(35)).open() {}
        }
        await node.stop()
    }

    @Test func aDroppedConnectionEndsTheFeed() async throws {
        let node = try await FakeWebSocketNode()
        let blocks = try await feed(node).open()
        try await waitUntil("the subscription") { node.subscribers == 1 }
        await node.dropAll()
        await expectError(containing: "closed the websocket") { for try await _ in blocks {} }
        await node.stop()
    }

    /// 1000 non-final 1 MiB fragments grew lavavisor past 1 GB: the whole message is capped.
    @Test func aMessageWithoutEndIsCutAtTheLimit() async throws {
        let node = try await FakeWebSocketNode()
        let blocks = try await feed(node).open()
        try await waitUntil("the subscription") { node.subscribers == 1 }
        let flood = Task { await node.flood(fragments: 1000, size: 1 << 20) }
        await expectError(containing: "websocket message larger than 1024 KiB") { for try await _ in blocks {} }
        // How many fragments the fake wrote before it saw the connection end depends on the
        // kernel's buffers and the load; the error above is what shows the cut.
        _ = await flood.value
        await node.stop()
    }

    @Test func aRefusedConnectionFailsAtOnce() async throws {
        let port = try RefusingPort()
        await expectError(containing: "refused") {
            _ = try await NewBlockFeed(node: URL(string: "http://127.0.0.1:\(port.port)")!).open()
        }
    }
}

extension NewBlockFeedTests {
    @Test func aFeedOpensAgainAfterALossAndARefusal() async throws {
        let node = try await FakeWebSocketNode()
        let first = try await feed(node).open()
        try await waitUntil("the subscription") { node.subscribers == 1 }
        node.set(.refuse)
        await node.dropAll()
        await expectError(containing: "closed the websocket") { for try await _ in first {} }
        await expectError(containing: "did not upgrade") { _ = try await feed(node).open() }
        node.set(.serve)
        let second = try await feed(node).open()
        try await waitUntil("subscribed again: \(node.upgrades) upgrades, \(node.subscribers) subscribers") {
            node.upgrades == 2 && node.subscribers == 1
        }
        var heights = second.makeAsyncIterator()
        await node.publish(height: 7)
        #expect(try await heights.next() == 7)
        await node.stop()
    }
}

extension NewBlockFeedTests {
    @Test func pollsGoOnAfterABlockDrivenCheck() async throws {
        let node = try await FakeLavaNode()
        let websocket = try await FakeWebSocketNode()
        let temp = try TemporaryDirectory()
        let store = Store(directory: temp.url)
        try store.prepare()
        let logs = CapturedLogs()
        let source = RPCVersionSource(
            node: try RPCVersionSource.endpoint(node.url), http: testHTTP, timeouts: testTimeouts, retries: testRetries,
            feed: NewBlockFeed(node: URL(string: websocket.url)!))
        let monitor = Monitor(
            source: source, binaries: StandInBinarySource([v("6.2.5")]), store: store, autoDownload: true, logger: logs.logger())
        let run = Task { await monitor.run(every: .milliseconds(200), child: { nil }, then: { _ in }) }
        try await waitUntil("the subscription") { websocket.subscribers == 1 }
        await websocket.publish(height: 5)
        try await waitUntil("a check") { store.currentVersion() == v("6.2.5") }
        let requests = node.server.requests.count
        try await waitUntil("polls after the block: \(node.server.requests.count - requests) requests; logs:\n\(logs.text)") {
            node.server.requests.count > requests + 6
        }
        run.cancel()
        await run.value
        await node.stop()
        await websocket.stop()
    }
}

extension NewBlockFeedTests {
    @Test func theFlagsChooseTheFeedAndAnHTTPSNodeIsFollowedOverWSS() async throws {
        let temp = try TemporaryDirectory()
        let context = PluginContext(store: Store(directory: temp.url), logger: CapturedLogs().logger())
        func source(_ flags: [String]) throws -> RPCVersionSource { try RPCVersionSource.make(options: .parse(flags), context: context) }

        let plain = try source(["--node", "tcp://127.0.0.1:26657"])
        #expect(plain.feed?.node == URL(string: "http://127.0.0.1:26657"))
        #expect(plain.feed?.tls == nil)
        #expect(try source(["--node", "tcp://127.0.0.1:26657", "--no-subscribe"]).feed == nil)
        let proxied = try source(["--node", "https://rpc.example", "--websocket-url", "ws://10.0.0.5:26657"])
        #expect(proxied.feed?.node == URL(string: "http://10.0.0.5:26657"))
        #expect(proxied.feed?.tls == nil)
        let https = try source(["--node", "https://rpc.example"])
        #expect(https.feed?.node == URL(string: "https://rpc.example"))
        #expect(https.feed?.tls != nil, "an https node's blocks are followed over wss")
        let wss = try source(["--node", "tcp://127.0.0.1:26657", "--websocket-url", "wss://ws.example:8443"])
        #expect(wss.feed?.node == URL(string: "https://ws.example:8443"))
        #expect(wss.feed?.tls != nil)
        #expect(throws: OptionError.self) { try source(["--node", "tcp://127.0.0.1:26657", "--websocket-url", "ftp://x"]) }
    }

    @Test func aWSSFeedTrustsTheCAFileAndRefusesACertificateThatDoesNotVerify() async throws {
        let temp = try TemporaryDirectory()
        let certificates = try TestCertificates(in: temp.path("tls"))
        let node = try await FakeWebSocketNode(tls: try certificates.serverContext())
        var context = PluginContext(store: Store(directory: temp.url), logger: CapturedLogs().logger())
        let flags = ["--node", node.url]

        let untrusted = try RPCVersionSource.make(options: .parse(flags), context: context)
        await expectError(containing: "cannot follow new blocks at wss://127.0.0.1:\(node.port)/websocket: the TLS certificate of") {
            _ = try await untrusted.blocks()
        }
        #expect(node.upgrades == 0 && node.calls.isEmpty, "nothing was said to a server that did not verify")

        context.caFile = certificates.caFile
        let blocks = try #require(try await RPCVersionSource.make(options: .parse(flags), context: context).blocks())
        try await waitUntil("the subscription over wss") { node.subscribers == 1 }
        var heights = blocks.makeAsyncIterator()
        await node.publish(height: 77)
        #expect(try await heights.next() == 77)
        await node.stop()
    }
}
