// swift-tools-version: 6.0
// raw2raw: camera raw-to-raw mapping (Afifi & Abuolaim, "Semi-Supervised Raw-to-Raw Mapping").
import PackageDescription

let package = Package(
    name: "raw2raw",
    products: [
        .library(name: "RawIO", targets: ["RawIO"]),
        .library(name: "RawTensor", targets: ["RawTensor"]),
        .library(name: "Calibration", targets: ["Calibration"]),
        .library(name: "Raw2RawModel", targets: ["Raw2RawModel"]),
        .library(name: "RawSynthesis", targets: ["RawSynthesis"]),
        .executable(name: "raw2raw", targets: ["raw2raw"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Internal C shims: not products, no stable Swift API.
        .systemLibrary(name: "CLibRaw", pkgConfig: "libraw_r", providers: [.apt(["libraw-dev"])]),
        .systemLibrary(name: "CBLAS", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CLAPACKE", providers: [.apt(["liblapacke-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        .target(name: "RawIO", dependencies: ["CLibRaw", "CZlib"]),
        .target(name: "RawTensor", dependencies: ["CBLAS"]),
        .target(name: "Calibration", dependencies: ["RawIO", "CBLAS", "CLAPACKE"]),
        .target(name: "Raw2RawModel", dependencies: ["RawTensor", "RawIO", "Calibration"]),
        .target(name: "RawSynthesis", dependencies: ["RawIO"], resources: [.copy("Resources/spectral")]),
        .executableTarget(
            name: "raw2raw",
            dependencies: [
                "RawIO", "RawTensor", "Calibration", "Raw2RawModel", "RawSynthesis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            resources: [.copy("Resources/samples")]
        ),

        .testTarget(name: "RawIOTests", dependencies: ["RawIO", "CZlib"], resources: [.copy("Fixtures")]),
        .testTarget(name: "RawSynthesisTests", dependencies: ["RawSynthesis", "RawIO"]),
        .testTarget(name: "CalibrationTests", dependencies: ["Calibration", "RawIO"], resources: [.copy("Fixtures")]),
        .testTarget(name: "RawTensorTests", dependencies: ["RawTensor"], resources: [.copy("Fixtures")]),
        .testTarget(name: "Raw2RawModelTests", dependencies: ["Raw2RawModel", "RawTensor", "RawIO", "Calibration"]),
    ]
)
