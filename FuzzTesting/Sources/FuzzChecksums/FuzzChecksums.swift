import FuzzHarness

/// libFuzzer's entry point: one input to `Fuzz.checksums`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzChecksums(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    Fuzz.checksums(Array(UnsafeRawBufferPointer(start: start, count: count)))
    return 0
}
