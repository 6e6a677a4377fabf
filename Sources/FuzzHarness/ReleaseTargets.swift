import Core
import Foundation
import GitHubReleaseSource

extension Fuzz {
    /// The asset whose line the checksum target looks for.
    static let asset = "lavap-v6.2.5-linux-amd64"

    /// A release's `sha256sum.txt`, searched for the linux/amd64 asset of 6.2.5. Invariant: a
    /// checksum found is 64 lowercase hex digits.
    public static func checksums(_ bytes: [UInt8]) {
        guard let hex = try? GitHubReleaseSource.checksum(of: asset, inSums: bytes, url: "sha256sum.txt") else { return }
        precondition(
            hex.utf8.count == 64 && hex.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) },
            "not a SHA-256: \(hex)")
    }

    /// One page of GitHub's release listing, for linux/amd64. Invariant: every version found has
    /// its tag and its asset's name in the page.
    public static func releaseListing(_ bytes: [UInt8]) {
        let platform = try! Platform(parsing: "linux/amd64")
        let page = URL(string: "https://api.github.com/repos/lavanet/lava/releases")!
        guard
            let versions = try? GitHubReleaseSource.versions(
                inListing: HTTPResponse(status: 200, body: bytes), url: page, platform: platform)
        else { return }
        let text = String(decoding: bytes, as: UTF8.self)
        for version in versions {
            precondition(text.contains(version.tag), "\(version) was found, but the page has no tag \(version.tag)")
        }
    }
}
