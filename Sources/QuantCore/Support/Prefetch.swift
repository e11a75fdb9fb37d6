import CPrefetch

/// Read-ahead hints for kernels whose first reads of their input outrun the hardware prefetcher. A hint never
/// faults, so it may point past the end of the input.
enum Prefetch {
    /// Starts bringing the 64-byte cache line at `address` into the caches.
    @_transparent
    static func line(_ address: UnsafeRawPointer) { quantscope_prefetch(address) }

    /// Starts bringing 32 floats at `x` into the caches; blocks prefetched one after another cover every line.
    @_transparent
    static func block(_ x: UnsafePointer<Float>) {
        line(x)
        line(x + 16)
    }
}
