public import Core
public import Foundation

/// The node's answers as the `rpc` source reads them, one pure function each, with the types and
/// decoders that `read()`, `pendingVersions()` and the block feed use: entry points for the fuzz
/// harness (FuzzTesting/) and for tests, which have bytes but no node.
public enum RPCAnswers {
    /// The `result.response` of an `abci_query` answer's body, as the node sent it (`value` is base64).
    public static func abciResponse(_ body: [UInt8]) throws -> (code: Int?, log: String?, value: String?, height: String?) {
        let envelope = try JSONAnswer.decode(
            RPCEnvelope<ABCIResult>.self, from: HTTPResponse(status: 200, body: body), url: url, what: "the abci_query answer")
        let response = try envelope.unwrap(url: url, method: "abci_query").response
        return (response.code, response.log, response.value, response.height)
    }

    /// The chain id and latest height of a `/status` answer's body.
    public static func status(_ body: [UInt8]) throws -> (chainID: String, height: Int64?) {
        let status = try JSONAnswer.decode(
            RPCEnvelope<StatusResult>.self, from: HTTPResponse(status: 200, body: body), url: url, what: "the /status answer"
        )
        .unwrap(url: url, method: "status")
        return (status.nodeInfo.network, Int64(status.syncInfo.latestBlockHeight))
    }

    /// The height of one websocket message of the block feed (its frames joined); nil for the
    /// subscription's confirmation and other messages, an error for a JSON-RPC error or non-JSON.
    public static func newBlockHeight(_ message: [UInt8]) throws -> Int64? {
        switch try NewBlockMessage(message) {
        case .block(let height): height
        case .subscribed, .other: nil
        }
    }

    /// The URL that errors name: these answers come without one.
    private static let url = URL(string: "http://node.invalid")!
}
