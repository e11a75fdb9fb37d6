// swift-tools-version:6.2
import PackageDescription

/// QuantKernelsAVX2 is compiled for x86-64-v3 (Haswell: AVX2, FMA) on x86-64 hosts and runs only where
/// `KernelSet` finds such a CPU; elsewhere it is empty. (Tools 6.2 lets a version-pinned dependent accept
/// this one unsafe flag.)
#if arch(x86_64)
let x86_64_v3: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])]
#else
let x86_64_v3: [SwiftSetting] = []
#endif

let package = Package(
    name: "quantscope",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "quantscope", targets: ["quantscope"]),
        .executable(name: "quantscope-bench", targets: ["quantscope-bench"]),
        .library(name: "QuantCore", targets: ["QuantCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
    ],
    targets: [
        .target(
            name: "QuantCore",
            dependencies: [
                "CPrefetch", "CCPUFeatures", "QuantKernelsAVX2",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]
        ),
        .systemLibrary(name: "CPrefetch"),
        .systemLibrary(name: "CCPUFeatures"),
        .target(name: "QuantKernelsAVX2", dependencies: ["CPrefetch"], swiftSettings: x86_64_v3),
        .systemLibrary(
            name: "CNcurses",
            pkgConfig: "ncursesw",
            providers: [.apt(["libncurses-dev"])]
        ),
        .target(name: "QuantTUI", dependencies: ["QuantCore", "CNcurses"]),
        .executableTarget(
            name: "quantscope",
            dependencies: [
                "QuantCore", "QuantTUI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "quantscope-bench", dependencies: ["QuantCore", "QuantTUI", "CPrefetch"]),
        .testTarget(name: "QuantCoreTests", dependencies: ["QuantCore", "QuantKernelsAVX2"], resources: [.copy("Fixtures")]),
        .testTarget(name: "QuantTUITests", dependencies: ["QuantTUI", "QuantCore"], exclude: ["Snapshots"]),
        .testTarget(name: "EndToEndTests", dependencies: ["QuantCore"], exclude: ["Scripts"]),
    ],
    swiftLanguageModes: [.v6]
)
