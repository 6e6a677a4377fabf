import FuzzHarness

/// libFuzzer's entry point: one input to `Fuzz.newBlock`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNewBlock(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    Fuzz.newBlock(Array(UnsafeRawBufferPointer(start: start, count: count)))
    return 0
}
