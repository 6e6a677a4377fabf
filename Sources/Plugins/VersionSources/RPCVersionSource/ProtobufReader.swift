/// A protobuf wire-format reader, just enough for the `protocol` and `gov` answers: varint,
/// fixed64, length-delimited and fixed32 fields, unknown fields skipped, every length checked
/// against the bytes that are really there.
///
/// Groups (wire types 3 and 4, deprecated since proto2) are refused: no Lava or Cosmos message
/// uses them, and skipping nested groups is the one part of the format that recurses. The
/// decoders read a fixed shape of embedded messages, so their nesting is bounded by their code.
struct ProtobufReader {
    /// One field as it appears on the wire.
    enum Value {
        case varint(UInt64)
        case bytes(ArraySlice<UInt8>)
        case fixed
    }

    private var bytes: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    /// The next field number and value, or nil at the end.
    mutating func next() throws(ProtobufError) -> (field: UInt64, value: Value)? {
        guard !bytes.isEmpty else { return nil }
        let key = try varint()
        let field = key >> 3
        guard field > 0 else { throw .malformed("field number 0") }
        switch key & 7 {
        case 0: return (field, .varint(try varint()))
        case 1:
            try skip(8)
            return (field, .fixed)
        case 2:
            let length = try varint()
            guard length <= UInt64(bytes.count) else { throw .truncated }
            let value = bytes.prefix(Int(length))
            bytes = bytes.dropFirst(Int(length))
            return (field, .bytes(value))
        case 3, 4:
            throw .malformed("a group in field \(field), which no Lava answer has")
        case 5:
            try skip(4)
            return (field, .fixed)
        default:
            throw .malformed("wire type \(key & 7)")
        }
    }

    private mutating func varint() throws(ProtobufError) -> UInt64 {
        var result: UInt64 = 0
        for index in 0..<10 {
            guard let byte = bytes.popFirst() else { throw .truncated }
            if index == 9 && byte > 1 { throw .malformed("varint longer than 64 bits") }
            result |= UInt64(byte & 0x7f) << (7 * UInt64(index))
            if byte & 0x80 == 0 { return result }
        }
        throw .malformed("varint longer than 10 bytes")
    }

    private mutating func skip(_ count: Int) throws(ProtobufError) {
        guard bytes.count >= count else { throw .truncated }
        bytes = bytes.dropFirst(count)
    }
}

/// Bytes that are not a valid protobuf message.
enum ProtobufError: Error, Equatable, CustomStringConvertible {
    /// A field or length runs past the end of the bytes.
    case truncated
    /// Something protobuf never writes.
    case malformed(String)

    var description: String {
        switch self {
        case .truncated: "the protobuf bytes end in the middle of a field"
        case .malformed(let what): "the protobuf bytes are malformed (\(what))"
        }
    }
}
