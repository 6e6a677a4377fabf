import FuzzHarness

/// libFuzzer's entry point: one input to `Fuzz.versionsFile`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVersionsFile(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    Fuzz.versionsFile(Array(UnsafeRawBufferPointer(start: start, count: count)))
    return 0
}
