public import Core
public import Foundation

/// The two files of a release host that the `github` source reads, `sha256sum.txt` and a page of
/// GitHub's release listing, as pure functions of their bytes: what `fetch` and
/// `availableVersions()` use, and entry points for the fuzz harness (FuzzTesting/).
extension GitHubReleaseSource {
    /// The SHA-256 (lowercase hex) that `sha256sum.txt`'s `body` lists for `asset` (lines
    /// `<hex>  <name>`, `*<name>` for binary mode); `url` names the file in errors.
    public static func checksum(of asset: String, inSums body: [UInt8], url: String) throws -> String {
        for line in String(decoding: body, as: UTF8.self).split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count == 2 else { continue }
            let name = fields[1].hasPrefix("*") ? fields[1].dropFirst() : fields[1]
            guard name == asset else { continue }
            let hex = fields[0].lowercased()
            guard hex.count == 64, hex.allSatisfy(\.isHexDigit) else {
                throw ChecksumUnavailable(url: url, problem: "the line for \(asset) has no valid SHA-256")
            }
            return hex
        }
        throw ChecksumUnavailable(url: url, problem: "it lists no checksum for \(asset)")
    }

    /// The versions on one page of the release listing (`response`, from `url`) that carry
    /// `platform`'s asset; drafts and tags other than `vX.Y.Z` are left out.
    public static func versions(inListing response: HTTPResponse, url: URL, platform: Platform) throws -> Set<SemanticVersion> {
        let releases = try JSONAnswer.decode([Release].self, from: response, url: url, what: "the release listing")
        var versions: Set<SemanticVersion> = []
        for release in releases where !release.draft {
            guard let version = try? SemanticVersion(parsing: release.tagName), release.tagName.hasPrefix("v") else { continue }
            if release.assets.contains(where: { $0.name == assetName(version, platform: platform) }) { versions.insert(version) }
        }
        return versions
    }

    /// The asset's file name for `version` on `platform`: `lavap-vX.Y.Z-<os>-<arch>`.
    public static func assetName(_ version: SemanticVersion, platform: Platform) -> String {
        "lavap-\(version.tag)-\(platform.os)-\(platform.arch)"
    }
}
