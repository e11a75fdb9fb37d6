// swift-tools-version:6.0
import PackageDescription

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
            dependencies: ["CPrefetch", .product(name: "ZIPFoundation", package: "ZIPFoundation")]
        ),
        .systemLibrary(name: "CPrefetch"),
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
        .executableTarget(name: "quantscope-bench", dependencies: ["QuantCore", "QuantTUI"]),
        .testTarget(name: "QuantCoreTests", dependencies: ["QuantCore"], resources: [.copy("Fixtures")]),
        .testTarget(name: "QuantTUITests", dependencies: ["QuantTUI", "QuantCore"], exclude: ["Snapshots"]),
        .testTarget(name: "EndToEndTests", dependencies: ["QuantCore"], exclude: ["Scripts"]),
    ],
    swiftLanguageModes: [.v6]
)
