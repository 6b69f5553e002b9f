// swift-tools-version: 6.0
// raw2raw: camera raw-to-raw mapping (Afifi & Abuolaim, "Semi-Supervised Raw-to-Raw Mapping").
import PackageDescription

let package = Package(
    name: "raw2raw",
    products: [
        .library(name: "RawCore", targets: ["RawCore"]),
        .library(name: "RawIO", targets: ["RawIO"]),
        .library(name: "RawTensor", targets: ["RawTensor"]),
        .library(name: "Calibration", targets: ["Calibration"]),
        .library(name: "Raw2RawModel", targets: ["Raw2RawModel"]),
        .library(name: "RawSynthesis", targets: ["RawSynthesis"]),
        .library(name: "Evaluation", targets: ["Evaluation"]),
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

        // Internal support: `package` utilities shared by every module (parallel loops, atomic
        // writes, small numerics, seed mixing). Not a product, no public API.
        .target(name: "RawSupport"),

        // Public modules, lowest first. RawCore has no C dependency.
        .target(name: "RawCore", dependencies: ["RawSupport"]),
        .target(name: "RawIO", dependencies: ["RawCore", "RawSupport", "CLibRaw", "CZlib"]),
        .target(name: "RawTensor", dependencies: ["RawCore", "RawSupport", "CBLAS"]),
        .target(name: "Calibration", dependencies: ["RawCore", "RawSupport", "CBLAS", "CLAPACKE"]),
        .target(name: "Raw2RawModel", dependencies: ["RawCore", "RawSupport", "RawTensor", "RawIO", "Calibration"]),
        .target(name: "RawSynthesis", dependencies: ["RawCore", "RawSupport", "RawIO"], resources: [.copy("Resources/spectral")]),
        .target(name: "Evaluation", dependencies: ["RawCore", "RawSupport", "RawIO", "Calibration", "Raw2RawModel"]),
        // Internal: the robustness harness (seeded mutations of every input format), run by
        // `raw2raw robustness` and the RobustnessTests quick pass. Not a product, no public API.
        .target(name: "Robustness", dependencies: ["RawCore", "RawSupport", "RawIO", "RawTensor", "Calibration", "Raw2RawModel", "RawSynthesis"]),
        .executableTarget(
            name: "raw2raw",
            dependencies: [
                "RawCore", "RawSupport", "RawIO", "RawTensor", "Calibration", "Raw2RawModel", "RawSynthesis", "Evaluation", "Robustness",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            resources: [.copy("Resources/samples")]
        ),

        .testTarget(name: "RawCoreTests", dependencies: ["RawCore", "RawSupport"]),
        .testTarget(name: "RawIOTests", dependencies: ["RawIO", "RawCore", "RawSupport", "CZlib"], resources: [.copy("Fixtures")]),
        .testTarget(name: "RawSynthesisTests", dependencies: ["RawSynthesis", "RawIO", "RawCore", "RawSupport"]),
        .testTarget(name: "CalibrationTests", dependencies: ["Calibration", "RawIO", "RawCore"], resources: [.copy("Fixtures")]),
        .testTarget(name: "RawTensorTests", dependencies: ["RawTensor", "RawCore"], resources: [.copy("Fixtures")]),
        // Also tests Evaluation (which shares its synthetic datasets) and in-memory experiments end to end.
        .testTarget(name: "RobustnessTests", dependencies: ["Robustness"]),
        .testTarget(name: "Raw2RawModelTests", dependencies: ["Raw2RawModel", "Evaluation", "RawCore", "RawTensor", "RawIO", "Calibration", "RawSynthesis"]),
    ]
)
