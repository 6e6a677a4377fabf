import FuzzHarness

/// libFuzzer's entry point: one input to `Fuzz.storeConfig`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzStoreConfig(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    Fuzz.storeConfig(Array(UnsafeRawBufferPointer(start: start, count: count)))
    return 0
}
