import Core
import Foundation
import TestSupport
import Testing

@Suite struct SemanticVersionTests {
    static let tags =
        (try? String(contentsOf: Repository.fixture("lava-release-tags.txt"), encoding: .utf8))
        .map { $0.split(separator: "\n").map(String.init) } ?? []

    @Test func everyReleaseTagParsesAndEverythingElseIsRejected() throws {
        #expect(Self.tags.count == 252)
        let release = try Regex("^v?[0-9]+\\.[0-9]+\\.[0-9]+$")
        var parsed = 0
        for tag in Self.tags {
            if tag.wholeMatch(of: release) != nil {
                let version = try SemanticVersion(parsing: tag)
                #expect(version.description == (tag.hasPrefix("v") ? String(tag.dropFirst()) : tag))
                parsed += 1
            } else {
                #expect(throws: VersionParseError(text: tag)) { try SemanticVersion(parsing: tag) }
            }
        }
        #expect(parsed > 200)
    }

    @Test(arguments: [
        "0.2.0-rc", "0.4.1-RC1", "latest", "Specs-0.6.0", "v0.0.5_hotfix", "V0.0.1", "v0.4.4.hotfix1",
        "v0.20.2.1", "v0.06_staging", "show", "plans-v0.10.2", "v3.1.9-experimental", "", "v", "1.2", "1.2.3.4",
        "01.2.3", "1.02.3", " 1.2.3", "1.2.3 ", "+1.2.3", "1.-2.3", "１.2.3", "vv1.2.3", "1..3", "99999999999.0.0",
    ])
    func rejects(_ text: String) {
        #expect(throws: VersionParseError.self) { try SemanticVersion(parsing: text) }
    }

    @Test func ordersNumericallyLikeSortDashV() throws {
        let oracle = try String(contentsOf: Repository.fixture("lava-release-versions-sorted.txt"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        let release = try Regex("^v?[0-9]+\\.[0-9]+\\.[0-9]+$")
        let ours = Set(try Self.tags.filter { $0.wholeMatch(of: release) != nil }.map { try SemanticVersion(parsing: $0) })
            .sorted().map(\.description)
        #expect(ours == oracle)
        #expect(v("0.9.4") < v("0.10.0"))
        #expect(v("1.10.0") > v("1.9.99"))
        #expect(v("2.0.0") > v("1.10000.10000"))
        #expect(v("v6.2.5") == v("6.2.5"))
    }

    @Test func rendersWithAndWithoutTheV() {
        #expect(v("v6.2.5").description == "6.2.5")
        #expect(v("6.2.5").tag == "v6.2.5")
    }

    @Test func errorSaysWhatIsExpected() {
        #expect(VersionParseError(text: "latest").description.contains("'latest' is not a version: expected X.Y.Z"))
    }
}

@Suite struct ProtocolVersionTests {
    @Test func acceptsTheGenesisVersions() throws {
        let versions = try ProtocolVersion(providerTarget: "6.2.5", providerMin: "5.5.1", consumerTarget: "6.2.5", consumerMin: "5.5.1")
        #expect(versions.target == v("6.2.5"))
        #expect(versions.minimum == v("5.5.1"))
    }

    @Test func namesTheFieldThatIsNotAVersion() {
        #expect(throws: ProtocolVersionError.self) {
            try ProtocolVersion(providerTarget: "6.2.5", providerMin: "5.5.1", consumerTarget: "latest", consumerMin: "5.5.1")
        }
        do {
            _ = try ProtocolVersion(providerTarget: "6.2.5", providerMin: "5.5.1", consumerTarget: "latest", consumerMin: "5.5.1")
        } catch {
            #expect(error.field == "consumer_target")
            #expect(error.description.contains("'latest' is not a version"))
        }
    }

    @Test func rejectsMinAboveTarget() {
        #expect(throws: ProtocolVersionError(field: "provider_min", problem: "6.2.6 is above provider_target 6.2.5")) {
            try ProtocolVersion(providerTarget: "6.2.5", providerMin: "6.2.6", consumerTarget: "6.2.5", consumerMin: "5.5.1")
        }
        #expect(throws: ProtocolVersionError(field: "consumer_min", problem: "7.0.0 is above consumer_target 6.2.5")) {
            try ProtocolVersion(providerTarget: "6.2.5", providerMin: "5.5.1", consumerTarget: "6.2.5", consumerMin: "7.0.0")
        }
    }

    @Test func rejectsMinorOrPatchAbove10000() {
        #expect(throws: ProtocolVersionError.self) {
            try ProtocolVersion(providerTarget: "1.10001.0", providerMin: "1.0.0", consumerTarget: "1.0.0", consumerMin: "1.0.0")
        }
        #expect(throws: ProtocolVersionError.self) {
            try ProtocolVersion(providerTarget: "1.0.10001", providerMin: "1.0.0", consumerTarget: "1.0.0", consumerMin: "1.0.0")
        }
        #expect(throws: Never.self) {
            try ProtocolVersion(providerTarget: "1.10000.10000", providerMin: "1.0.0", consumerTarget: "1.0.0", consumerMin: "1.0.0")
        }
    }

    @Test func decodesTheChainsJSON() throws {
        let json = #"{"provider_target":"0.26.1","consumer_target":"0.26.1","provider_min":"0.26.0","consumer_min":"0.26.0"}"#
        let versions = try JSONDecoder().decode(ProtocolVersion.self, from: Data(json.utf8))
        #expect(versions.providerTarget == v("0.26.1"))
        #expect(versions.consumerMin == v("0.26.0"))
        let back = try JSONDecoder().decode(ProtocolVersion.self, from: JSONEncoder().encode(versions))
        #expect(back == versions)
    }
}
