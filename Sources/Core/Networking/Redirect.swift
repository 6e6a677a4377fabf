public import Foundation

/// The redirects lavavisor follows: at most `limit` in a row, to http or https only, and never
/// from https down to plain http (a mirror or proxy on the path cannot strip the encryption of a
/// download or a node's answer by answering 302).
public enum Redirect {
    /// The most redirects one request follows.
    public static let limit = 5
    /// The statuses that redirect.
    public static let statuses: Set<Int> = [301, 302, 303, 307, 308]

    /// The URL that `location` (absolute, or relative to `from`) names, as the `hop`th redirect of
    /// a request to `original`; throws when that redirect must not be followed.
    public static func target(from: URL, location: String, hop: Int, original: URL) throws(HTTPTransportError) -> URL {
        let asked = original.absoluteString
        guard hop <= limit else {
            throw HTTPTransportError(url: asked, kind: .other, problem: "it redirected more than \(limit) times; check the URL")
        }
        guard let target = URL(string: location, relativeTo: from)?.absoluteURL,
            let scheme = target.scheme?.lowercased(), ["http", "https"].contains(scheme), target.host?.isEmpty == false
        else {
            throw HTTPTransportError(
                url: asked, kind: .other,
                problem: "it redirected to '\(ControlCharacters.escapedInLine(location))', which is not an http(s) URL")
        }
        guard !(from.scheme?.lowercased() == "https" && scheme == "http") else {
            throw HTTPTransportError(
                url: asked, kind: .other,
                problem:
                    "it redirected from https to plain http (\(target.absoluteString)); refused: give the plain http URL yourself if that is really meant"
            )
        }
        return target
    }
}
