import FuzzHarness

/// libFuzzer's entry point: one input to `Fuzz.restAnswer`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRESTAnswer(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    Fuzz.restAnswer(Array(UnsafeRawBufferPointer(start: start, count: count)))
    return 0
}
