import Foundation
import RPCVersionSource

extension Fuzz {
    /// The JSON-RPC answers of the `rpc` source: the body read as an `abci_query` answer (its
    /// base64 value then through both protobuf decoders, as a params or a proposals answer) and as
    /// a `/status` answer.
    public static func rpcAnswer(_ bytes: [UInt8]) {
        if let response = try? RPCAnswers.abciResponse(bytes), let value = response.value,
            let data = Data(base64Encoded: value)
        {
            params(Array(data))
            proposals(Array(data))
        }
        _ = try? RPCAnswers.status(bytes)
    }

    /// One websocket message of the block feed.
    public static func newBlock(_ bytes: [UInt8]) {
        _ = try? RPCAnswers.newBlockHeight(bytes)
    }
}
