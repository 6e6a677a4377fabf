import Core
import Foundation
import RPCVersionSource
import TestSupport
import Testing

/// The decoder against bytes made by an independent encoder (Python's protobuf; see Tests/Fixtures/protobuf).
@Suite struct ParamsDecoderTests {
    struct Fixture: Decodable, CustomTestStringConvertible, Sendable {
        let name: String
        let base64: String
        let expected: [String: String]?
        let error: String?
        var testDescription: String { name }
        var bytes: [UInt8] { Array(Data(base64Encoded: base64)!) }
    }

    static let fixtures: [Fixture] = {
        struct File: Decodable { let cases: [Fixture] }
        let data = try? Data(contentsOf: Repository.fixture("protobuf/params_fixtures.json"))
        return data.flatMap { try? JSONDecoder().decode(File.self, from: $0).cases } ?? []
    }()

    @Test func theFixturesAreThere() {
        #expect(Self.fixtures.count == 15)
        #expect(Self.fixtures.filter { $0.expected != nil }.count == 7)
    }

    @Test(arguments: fixtures.filter { $0.expected != nil })
    func decodesWhatProtobufEncodes(_ fixture: Fixture) throws {
        let versions = try ParamsDecoder.decode(fixture.bytes)
        let expected = try #require(fixture.expected)
        #expect(versions.providerTarget.description == expected["provider_target"])
        #expect(versions.providerMin.description == expected["provider_min"])
        #expect(versions.consumerTarget.description == expected["consumer_target"])
        #expect(versions.consumerMin.description == expected["consumer_min"])
    }

    @Test(arguments: fixtures.filter { $0.error != nil })
    func rejectsWhatIsMissingOrMalformed(_ fixture: Fixture) throws {
        do {
            let versions = try ParamsDecoder.decode(fixture.bytes)
            Issue.record("decoded \(versions) from a case that must fail")
        } catch {
            let text = "\(error)"
            switch fixture.error {
            case "missing consumer_min": #expect(text == "the Params answer has no params.version.consumer_min")
            case "missing version": #expect(text == "the Params answer has no params.version")
            case "missing params": #expect(text == "the Params answer has no params")
            case "truncated": #expect(text.contains("end in the middle of a field"))
            case "bad wire type": #expect(text.contains("wire type 7"))
            case "bad varint": #expect(text.contains("varint longer than"))
            case "group": #expect(text.contains("a group in field 11"))
            default: Issue.record("unknown fixture category \(fixture.error ?? "")")
            }
        }
    }

    @Test func ourTestNodeEncodesLikeProtobuf() throws {
        let genesis = try #require(Self.fixtures.first { $0.name == "genesis" })
        #expect(FakeLavaNode.paramsBytes(["6.2.5", "5.5.1", "6.2.5", "5.5.1"]) == genesis.bytes)
    }

    @Test(arguments: [
        ([0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f] as [UInt8], "end in the middle of a field"),
        ([0x0a, 0x02, 0x08, 0x01], "field 1 is not a message"),
        ([0x00, 0x01], "field number 0"),
        ([0x0a, 0x04, 0x0a, 0x02, 0x08, 0x05], "version field 1 is not a string"),
    ])
    func rejectsHandMadeGarbage(_ bytes: [UInt8], _ message: String) {
        do {
            _ = try ParamsDecoder.decode(bytes)
            Issue.record("expected an error containing \(message)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }

    /// 300000 nested start-group keys overflowed the stack while the reader skipped groups
    /// recursively (exit 139, lavap orphaned): groups are refused at the first key now.
    @Test(arguments: [0x0b as UInt8, 0x13, 0x5b])
    func deeplyNestedGarbageIsAnErrorNotACrash(_ byte: UInt8) {
        let bytes = [UInt8](repeating: byte, count: 300_000)
        for decode in [{ _ = try ParamsDecoder.decode(bytes) }, { _ = try ProposalsDecoder.decode(bytes) }] as [() throws -> Void] {
            do {
                try decode()
                Issue.record("300000 bytes of \(byte) decoded")
            } catch {
                #expect("\(error)".contains("protobuf bytes"), "\(error)")
            }
        }
    }

    @Test func versionsThatBreakTheChainsRulesAreRejected() {
        #expect(throws: ProtocolVersionError.self) {
            try ParamsDecoder.decode(FakeLavaNode.paramsBytes(["latest", "5.5.1", "6.2.5", "5.5.1"]))
        }
        #expect(throws: ProtocolVersionError.self) {
            try ParamsDecoder.decode(FakeLavaNode.paramsBytes(["6.2.5", "7.0.0", "6.2.5", "5.5.1"]))
        }
    }
}
