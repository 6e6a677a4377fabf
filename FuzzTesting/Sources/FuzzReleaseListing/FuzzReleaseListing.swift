import FuzzHarness

/// libFuzzer's entry point: one input to `Fuzz.releaseListing`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzReleaseListing(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    Fuzz.releaseListing(Array(UnsafeRawBufferPointer(start: start, count: count)))
    return 0
}
