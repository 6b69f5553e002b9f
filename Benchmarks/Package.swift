// swift-tools-version: 6.1
// Benchmarks for raw2raw (package-benchmark). Kept as its own package so that library users never
// fetch the benchmark dependency. Run: `cd Benchmarks && swift package benchmark`.
import PackageDescription

let package = Package(
    name: "raw2raw-benchmarks",
    dependencies: [
        .package(name: "raw2raw", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        // The reference the benchmarks are quoted against: raw OpenBLAS, bypassing our code.
        .systemLibrary(name: "CBLASReference", path: "Sources/CBLASReference"),
        // The reference for reading: LibRaw's C API without RawIO around it.
        .systemLibrary(name: "CLibRawReference", path: "Sources/CLibRawReference"),
        // The reference for least-squares fitting: raw LAPACKE.
        .systemLibrary(name: "LAPACKEReference", path: "Sources/LAPACKEReference"),
        .executableTarget(
            name: "RawIOBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "RawIO", package: "raw2raw"),
                "CBLASReference",
                "CLibRawReference",
            ],
            path: "Benchmarks/RawIOBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "CalibrationBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Calibration", package: "raw2raw"),
                .product(name: "RawIO", package: "raw2raw"),
                "CBLASReference",
                "LAPACKEReference",
            ],
            path: "Benchmarks/CalibrationBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "TensorBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "RawTensor", package: "raw2raw"),
                "CBLASReference",
            ],
            path: "Benchmarks/TensorBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "ModelBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Raw2RawModel", package: "raw2raw"),
                .product(name: "RawIO", package: "raw2raw"),
                "CBLASReference",
            ],
            path: "Benchmarks/ModelBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
