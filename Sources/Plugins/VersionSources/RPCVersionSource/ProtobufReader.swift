/// A protobuf wire-format reader, just enough for the `protocol` module's `Params` query:
/// varint, fixed64, length-delimited and fixed32 fields, unknown fields and groups skipped,
/// every length checked against the bytes that are really there.
struct ProtobufReader {
    /// One field as it appears on the wire.
    enum Value {
        case varint(UInt64)
        case bytes(ArraySlice<UInt8>)
        case fixed
        case group
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
        case 3:
            try skipGroup(field)
            return (field, .group)
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

    /// Skips the fields of a group up to its matching end-group key.
    private mutating func skipGroup(_ field: UInt64) throws(ProtobufError) {
        while true {
            guard !bytes.isEmpty else { throw .truncated }
            let key = try varint()
            if key & 7 == 4 {
                guard key >> 3 == field else { throw .malformed("end of group \(key >> 3) inside group \(field)") }
                return
            }
            switch key & 7 {
            case 0: _ = try varint()
            case 1: try skip(8)
            case 2:
                let length = try varint()
                guard length <= UInt64(bytes.count) else { throw .truncated }
                bytes = bytes.dropFirst(Int(length))
            case 3: try skipGroup(key >> 3)
            case 5: try skip(4)
            default: throw .malformed("wire type \(key & 7)")
            }
        }
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
