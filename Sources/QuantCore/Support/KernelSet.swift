import CCPUFeatures
import Foundation

/// Which compiled form of the vector kernels runs: the portable one (the baseline of the build target: SSE2 on
/// x86-64, NEON on ARM) or the one in `QuantKernelsAVX2`, built for x86-64-v3 and chosen at run time when the
/// CPU and OS support it. Both give the same codes, dequantised values and error sums, bit for bit.
///
/// `QUANTSCOPE_KERNELS=portable` in the environment forces the portable kernels (to compare them, or to rule
/// the others out); otherwise the fastest set the CPU runs is used.
public enum KernelSet: String, Sendable {
    case portable
    case avx2

    /// The kernels this process uses, decided once.
    public static let current: KernelSet = {
        let runsAVX2 = supported.contains(.avx2)
        switch ProcessInfo.processInfo.environment["QUANTSCOPE_KERNELS"]?.lowercased() {
        case "portable": return .portable
        default: return runsAVX2 ? .avx2 : .portable
        }
    }()

    /// The kernel sets this CPU can run, asked once (`cpuid` traps to the hypervisor in a VM: microseconds).
    public static let supported: [KernelSet] = quantscope_cpu_runs_x86_64_v3() != 0 ? [.portable, .avx2] : [.portable]
}
