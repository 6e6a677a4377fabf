/// A key of a JSON object written with `encodeFields`.
struct JSONFieldKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.init(stringValue) }
    init?(intValue: Int) { nil }
}

extension Encoder {
    /// Writes `fields` as one JSON object, a nil value as null: a script finds every key of a
    /// report (`status --json`, `ctl status --json`), whether or not its value is known.
    public func encodeFields(_ fields: KeyValuePairs<String, any Encodable>) throws {
        var container = container(keyedBy: JSONFieldKey.self)
        for (key, value) in fields { try container.encode(value, forKey: JSONFieldKey(key)) }
    }
}
