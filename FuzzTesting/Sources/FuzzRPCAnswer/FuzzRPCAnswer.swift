import FuzzHarness

/// libFuzzer's entry point: one input to `Fuzz.rpcAnswer`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRPCAnswer(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    Fuzz.rpcAnswer(Array(UnsafeRawBufferPointer(start: start, count: count)))
    return 0
}
