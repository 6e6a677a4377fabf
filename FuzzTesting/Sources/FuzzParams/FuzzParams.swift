import FuzzHarness

/// libFuzzer's entry point: one input to `Fuzz.params`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzParams(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    Fuzz.params(Array(UnsafeRawBufferPointer(start: start, count: count)))
    return 0
}
