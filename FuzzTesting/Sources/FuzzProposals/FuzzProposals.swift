import FuzzHarness

/// libFuzzer's entry point: one input to `Fuzz.proposals`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProposals(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    Fuzz.proposals(Array(UnsafeRawBufferPointer(start: start, count: count)))
    return 0
}
