import FuzzHarness

/// libFuzzer's entry point: one input to `Fuzz.shellWords`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzShellWords(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    Fuzz.shellWords(Array(UnsafeRawBufferPointer(start: start, count: count)))
    return 0
}
