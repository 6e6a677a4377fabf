import Core
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// lavavisor against a fake Lava node on loopback, through the rpc and rest version sources.
@Suite struct NodeTests {
    /// The flags for `node`; the request timeout is generous unless a test is about timeouts.
    func flags(_ setup: Quickstart, node: FakeLavaNode, source: String = "rpc", requestTimeout: String = "5") -> [String] {
        [
            "--directory", setup.store.root.deletingLastPathComponent().path, "--version-source", source, "--node", node.url,
            "--rest-url", node.url, "--source", "local", "--binaries-dir", setup.bin.path, "--request-timeout", requestTimeout,
            "--connect-timeout", "1", "--request-retries", "0",
        ]
    }

    @Test(arguments: ["rpc", "rest"])
    func aVersionChangeOnTheChainUpgradesTheChild(_ source: String) async throws {
        let setup = try Quickstart()
        let node = try await FakeLavaNode()
        node.require(target: "1.0.0", min: "1.0.0")
        let lavavisor = try CLI.launch(
            ["wrap"] + flags(setup, node: node, source: source)
                + ["--chain-id", "lava-testnet-2", "--auto-download", "--poll-interval", "0.2", "--cmd", "lavap rpcprovider p.yml"],
            in: setup.temp)
        let first = try await setup.waitForEvent("start", "1.0.0")
        node.require(target: "1.1.0", min: "1.0.0")
        try await setup.waitForEvent("sigterm", "1.0.0", first[2])
        try await setup.waitForEvent("start", "1.1.0")
        #expect(setup.store.currentVersion() == v("1.1.0"))
        lavavisor.process.signal(SIGTERM)
        #expect(try await lavavisor.exit() == .exited(0), "\(lavavisor.logs)\n\(setup.recorded)")
        await node.stop()
    }

    @Test func aNodeDownAtStartIsAskedAgainWithinSecondsNotAPollLater() async throws {
        let setup = try Quickstart()
        let node = try await FakeLavaNode()
        node.require(target: "1.0.0", min: "1.0.0")
        node.update { $0.override = .respond(status: 503, body: Array("starting".utf8)) }
        // An hour between polls: nothing runs yet, so the failed first check is tried again soon.
        let lavavisor = try CLI.launch(
            ["wrap"] + flags(setup, node: node) + ["--auto-download", "--poll-interval", "1h", "--cmd", "lavap rpcprovider p.yml"],
            in: setup.temp)
        try await lavavisor.waitForLog("no lavap is installed yet; checking again in 1 s, then at most every 30 s")
        node.update { $0.override = nil }
        try await setup.waitForEvent("start", "1.0.0")
        lavavisor.process.signal(SIGTERM)
        #expect(try await lavavisor.exit() == .exited(0), "\(lavavisor.logs)")
        await node.stop()
    }

    @Test func aNewBlockBringsTheUpgradeWithoutWaitingForThePoll() async throws {
        let setup = try Quickstart()
        let node = try await FakeLavaNode()
        let websocket = try await FakeWebSocketNode()
        node.require(target: "1.0.0", min: "1.0.0")
        // An hour between polls: the upgrade below can only come from the block.
        let lavavisor = try CLI.launch(
            ["wrap"] + flags(setup, node: node)
                + [
                    "--websocket-url", websocket.url, "--auto-download", "--poll-interval", "3600", "--verbose", "--cmd",
                    "lavap rpcprovider p.yml",
                ],
            in: setup.temp)
        try await setup.waitForEvent("start", "1.0.0")
        try await waitUntil("the subscription") { websocket.subscribers == 1 }
        try await lavavisor.waitForLog("following new blocks")
        node.require(target: "1.1.0", min: "1.0.0")
        await websocket.publish(height: 1235)
        try await setup.waitForEvent("start", "1.1.0")

        // The websocket lost: logged once, and it is opened again.
        websocket.set(.refuse)
        await websocket.dropAll()
        try await lavavisor.waitForLog("cannot follow new blocks")
        websocket.set(.serve)
        try await waitUntil(
            "subscribed again: \(websocket.upgrades) upgrades, \(websocket.subscribers) subscribers, logs:\n\(lavavisor.logs)"
        ) { websocket.subscribers == 1 && websocket.upgrades == 2 }
        // The feed opened again drives checks too (the poll is an hour away).
        #expect(!lavavisor.logs.contains("running 1.1.0: keep"))
        await websocket.publish(height: 1236)
        try await lavavisor.waitForLog("running 1.1.0: keep 1.1.0")
        lavavisor.process.signal(SIGTERM)
        #expect(try await lavavisor.exit() == .exited(0), "\(lavavisor.logs)")
        #expect(lavavisor.logs.components(separatedBy: "cannot follow new blocks").count == 2, "logged once: \(lavavisor.logs)")
        await node.stop()
        await websocket.stop()
    }

    @Test func aNodeOnAnotherChainIsRefusedAtStart() async throws {
        let setup = try Quickstart()
        let node = try await FakeLavaNode()
        node.require(target: "1.0.0", min: "1.0.0")
        let finished = try await CLI.run(
            ["wrap"] + flags(setup, node: node) + ["--chain-id", "lava-mainnet-1", "--auto-download", "--cmd", "lavap rpcprovider p.yml"],
            in: setup.temp)
        #expect(finished.exit == .exited(1))
        #expect(
            finished.logs.contains(
                "refusing to start: the node at \(node.url) is on chain 'lava-testnet-2' but --chain-id is 'lava-mainnet-1'"))
        #expect(setup.recorded.isEmpty)
        #expect(setup.store.installedVersions().isEmpty)

        let initialized = try await CLI.run(
            ["init", "--auto-download", "--chain-id", "lava-mainnet-1"] + flags(setup, node: node), in: setup.temp)
        #expect(initialized.exit == .exited(1))
        #expect(initialized.logs.contains("init refuses: the node at"))
        await node.stop()
    }

    @Test func aDeadSilentOrGarbledNodeNeverStopsTheChild() async throws {
        let setup = try Quickstart()
        let node = try await FakeLavaNode()
        node.require(target: "1.0.0", min: "1.0.0")
        let lavavisor = try CLI.launch(
            ["wrap"] + flags(setup, node: node, requestTimeout: "1")
                + ["--auto-download", "--poll-interval", "0.2", "--cmd", "lavap rpcprovider p.yml"],
            in: setup.temp)
        let first = try await setup.waitForEvent("start", "1.0.0")
        node.update { $0.paramsOverride = .json("garbage") }
        try await lavavisor.waitForLog("the body is not JSON")
        node.update { $0.paramsOverride = .silent }
        try await lavavisor.waitForLog("no complete answer within 1.0 seconds")
        node.update { $0.paramsOverride = .json(#"{"jsonrpc":"2.0","id":1,"result":{"response":{"code":18,"log":"invalid request"}}}"#) }
        try await lavavisor.waitForLog("with code 18: invalid request")
        #expect(kill(pid_t(first[2])!, 0) == 0)
        #expect(setup.recorded.count == 1)
        node.update { $0.paramsOverride = nil }
        node.require(target: "1.1.0", min: "1.0.0")
        try await setup.waitForEvent("start", "1.1.0")
        lavavisor.process.signal(SIGTERM)
        #expect(try await lavavisor.exit() == .exited(0))
        await node.stop()
    }

    @Test func statusShowsTheSourceURLChainIdAndHeight() async throws {
        let setup = try Quickstart()
        try FileManager.default.createDirectory(at: setup.temp.path("home"), withIntermediateDirectories: true)
        let node = try await FakeLavaNode()
        node.update { $0.height = 777 }
        let text = try await CLI.run(["status"] + flags(setup, node: node, requestTimeout: "30"), in: setup.temp)
        #expect(text.exit == .exited(0))
        #expect(text.output.contains("version source: rpc \(node.url) chain-id=lava-testnet-2 height=777"))
        #expect(text.output.contains("required: target 6.2.5, minimum 5.5.1"))
        let json = try await CLI.run(["status", "--json"] + flags(setup, node: node, source: "rest"), in: setup.temp)
        let object = try #require(JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        let source = try #require(object["source"] as? [String: Any])
        #expect(source["id"] as? String == "rest")
        #expect(source["chainID"] as? String == "lava-testnet-2")
        #expect(source["height"] as? Int == 777)
        #expect(source["location"] as? String == node.url)
        let otherChain = try await CLI.run(["status", "--chain-id", "lava-mainnet-1"] + flags(setup, node: node), in: setup.temp)
        #expect(otherChain.exit == .exited(1))
        #expect(otherChain.output.contains("is on chain 'lava-testnet-2' but --chain-id is 'lava-mainnet-1'"))
        #expect(otherChain.output.contains("lavavisor would refuse it"))
        await node.stop()
        let down = try await CLI.run(["status"] + flags(setup, node: node), in: setup.temp)
        #expect(down.exit == .exited(1))
        #expect(down.output.contains("error: no usable answer from \(node.url)"))
    }

    @Test func aProviderFollowsTheProviderPairAndStatusSaysWhichRole() async throws {
        let setup = try Quickstart()
        let node = try await FakeLavaNode()
        node.update { $0.versions = ["1.0.0", "1.0.0", "1.1.0", "1.0.0"] }  // provider 1.0.0, consumer 1.1.0
        let lavavisor = try CLI.launch(
            ["wrap"] + flags(setup, node: node)
                + ["--auto-download", "--poll-interval", "0.2", "--verbose", "--cmd", "lavap rpcprovider p.yml"],
            in: setup.temp)
        try await setup.waitForEvent("start", "1.0.0")
        try await lavavisor.waitForLog("running 1.0.0: keep 1.0.0")
        #expect(setup.store.installedVersions() == [v("1.0.0")])
        #expect(lavavisor.logs.contains("role=provider"))

        let consumer = try await CLI.run(["status", "--role", "consumer"] + flags(setup, node: node), in: setup.temp)
        #expect(consumer.output.contains("role: consumer: target 1.1.0, minimum 1.0.0"), "\(consumer.output)")
        #expect(consumer.output.contains("decision: upgrade to 1.1.0"))
        let provider = try await CLI.run(["status", "--role", "provider", "--json"] + flags(setup, node: node), in: setup.temp)
        let object = try #require(JSONSerialization.jsonObject(with: Data(provider.output.utf8)) as? [String: Any])
        #expect(object["role"] as? String == "provider")
        #expect((object["decision"] as? [String: Any])?["action"] as? String == "keep")
        #expect((object["step"] as? [String: Any])?["action"] as? String == "none")
        lavavisor.process.signal(SIGTERM)
        #expect(try await lavavisor.exit() == .exited(0))
        await node.stop()
    }
}
