import Calibration
import Foundation
import Raw2RawModel
import RawCore
import RawIO
import RawSynthesis
import RawTensor

extension RobustnessHarness {
    /// The built-in seed inputs of `format`, made in memory by raw2raw's own writers (so the
    /// harness needs no fixture files): small but complete files with every optional part filled.
    package func seeds(for format: RobustnessFormat) throws -> [RobustnessSeed] {
        if let cached = builtInSeedCache[format] { return cached }
        let made = try makeSeeds(format)
        builtInSeedCache[format] = made
        return made
    }

    private func makeSeeds(_ format: RobustnessFormat) throws -> [RobustnessSeed] {
        let scratch = workFolder.appendingPathComponent("seeds-\(format.rawValue)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        func file(_ name: String, _ write: (URL) throws -> Void) throws -> [UInt8] {
            let url = scratch.appendingPathComponent(name)
            try write(url)
            return [UInt8](try Data(contentsOf: url))
        }
        switch format {
        case .dng:
            let full = BayerImage(width: 32, height: 24, samples: Self.ramp(32 * 24, below: 4096), pattern: .rggb,
                                  blackLevels: BlackLevels(uniform: 64), whiteLevel: 4095,
                                  metadata: RawMetadata(make: "Fuzz", model: "Seed", iso: 100, exposureTime: 0.01,
                                                        asShotNeutral: [0.5, 1, 0.7], cameraWhiteBalance: [2, 1, 1.4, 1],
                                                        colorMatrices: [ColorMatrix(illuminant: 17, values: [1, 0.1, 0, 0, 1, 0.1, 0.1, 0, 1]),
                                                                        ColorMatrix(illuminant: 21, values: [0.9, 0, 0.1, 0.1, 1.1, 0, 0, 0.1, 0.8])]))
            let fractional = BayerImage(width: 26, height: 22, samples: Self.ramp(26 * 22, below: 1024), pattern: .grbg,
                                        blackLevels: BlackLevels(topLeft: 16.5, topRight: 17, bottomLeft: 15.25, bottomRight: 16),
                                        whiteLevel: 1023)
            return [
                RobustnessSeed(name: "rggb-12bit-32x24-metadata", format: .dng, bytes: try file("a.dng") { try full.writeDNG(to: $0) }),
                RobustnessSeed(name: "grbg-10bit-26x22-fractional-black", format: .dng,
                               bytes: try file("b.dng") { try fractional.writeDNG(to: $0) }),
            ]
        case .mat:
            let image = PackedImage(height: 3, width: 5, values: Self.ramp(60, below: 1000).map { Float($0) / 1000 })
            return [
                RobustnessSeed(name: "raw_rggb-single", format: .mat, bytes: try file("a.mat") { try image.writeMAT(to: $0) }),
                RobustnessSeed(name: "raw_rggb-double", format: .mat, bytes: try file("b.mat") { try image.writeMAT(to: $0, precision: .double) }),
                RobustnessSeed(name: "two-variables-compressed", format: .mat, bytes: try file("c.mat") {
                    try MATFile.write(arrays: [MATArray(name: "raw_rggb", shape: [3, 5, 4], floatValues: image.values),
                                               MATArray(name: "mapping_matrix", shape: [4, 4], values: (0..<16).map(Double.init))],
                                      to: $0, compressed: true)
                }),
                RobustnessSeed(name: "int-classes", format: .mat, bytes: try file("d.mat") {
                    try MATFile.write(arrays: [MATArray(name: "raw_rggb", shape: [2, 2, 4], values: (0..<16).map(Double.init), class: .uint16),
                                               MATArray(name: "counts", shape: [1, 3], values: [1, -2, 3], class: .int32)],
                                      to: $0)
                }),
            ]
        case .safetensors:
            let archive = SafeTensors(["conv.weight": Tensor(shape: [2, 1, 3, 3], values: (0..<18).map { Float($0) / 10 }),
                                       "conv.bias": Tensor(shape: [2], values: [0.5, -0.5]),
                                       "scalar": Tensor(shape: [], values: [3])],
                                      metadata: ["format": "fuzz-seed"])
            return [
                RobustnessSeed(name: "f32-with-metadata", format: .safetensors, bytes: [UInt8](archive.encoded())),
                RobustnessSeed(name: "mixed-dtypes", format: .safetensors, bytes: Self.mixedDataTypeArchive()),
            ]
        case .modelJSON, .modelWeights:
            var seeds: [RobustnessSeed] = []
            for (name, network) in try Self.seedNetworks() {
                let folder = scratch.appendingPathComponent(name)
                try network.save(to: folder, training: TrainingRecord(configuration: .default, steps: 12, finalLosses: nil, validation: nil, seconds: 1.5))
                seeds.append(try RobustnessSeed(contentsOf: folder, format: format))
                seeds[seeds.count - 1].name = name
            }
            return seeds
        case .mapping:
            var g = SeededGenerator(seed: 12)
            let source = PackedImage(height: 6, width: 6, values: (0..<144).map { _ in 0.05 + 0.9 * g.nextUniform() })
            var target = source
            for i in target.values.indices { target.values[i] = target.values[i] * 0.8 + 0.05 * Float(i % 4) / 4 }
            var seeds: [RobustnessSeed] = []
            for kind in [ColorMapping.Kind.rootPolynomial2, .paperPolynomial, .affine] {
                let m = try ColorMapping.fit(kind, source: source, target: target)
                seeds.append(RobustnessSeed(name: kind.rawValue, format: .mapping, bytes: [UInt8](m.jsonData())))
            }
            seeds.append(RobustnessSeed(name: "linear3x3-identity", format: .mapping, bytes: [UInt8](ColorMapping.identity(.linear3x3).jsonData())))
            return seeds
        case .manifest:
            let generator = try manifestSeedGenerator()
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            return [RobustnessSeed(name: "synthetic-1-test-pair", format: .manifest, bytes: [UInt8](try encoder.encode(generator.manifest(complete: true))))]
        }
    }

    /// The tiny dataset whose manifest is the manifest seed; a case whose mutated manifest still
    /// describes it resumes its generation.
    func manifestSeedGenerator() throws -> SyntheticDatasetGenerator {
        if let g = manifestGeneratorCache { return g }
        let spectra = try SpectralData.bundled()
        let configuration = SyntheticDatasetConfiguration(
            cameraA: .iPhoneXLike(spectra), cameraB: .galaxyS9Like(spectra), unpairedCount: 1, anchorCount: 0, testCount: 1,
            scenes: SceneConfiguration(width: 8, height: 8), seed: 3, format: .mat)
        let g = SyntheticDatasetGenerator(configuration: configuration, data: spectra)
        manifestGeneratorCache = g
        return g
    }

    /// Two small networks: the default architecture with fitted bases and exposure models, and the paper's.
    static func seedNetworks() throws -> [(String, Raw2RawNetwork)] {
        var residual = ModelConfiguration.default
        residual.channels = [4, 8]
        residual.contextWidth = 4
        residual.thumbnailSize = 8
        residual.pixelResidual = true
        var g = SeededGenerator(seed: 11)
        let source = PackedImage(height: 8, width: 8, values: (0..<256).map { _ in 0.05 + 0.9 * g.nextUniform() })
        var target = source
        for i in target.values.indices { target.values[i] = target.values[i] * 0.7 + 0.1 }
        let ab = try ColorMapping.fit(.rootPolynomial2, source: source, target: target)
        let ba = try ColorMapping.fit(.rootPolynomial2, source: target, target: source)
        let network = Raw2RawNetwork(configuration: residual, cameraA: "cam-a", cameraB: "cam-b",
                                     baseMappings: DirectionPair(aToB: ab, bToA: ba), seed: 5)
        network.targetExposures = DirectionPair(
            aToB: TargetExposure(meter: .maxChannelPercentile(0.98), targetLogLevel: -0.3, strength: 0.8, expectedLogError: 0.1, uncorrectedLogError: 0.2, targetSpread: 0.05),
            bToA: TargetExposure(meter: .centreWeightedMean, targetLogLevel: -1.2, strength: 1, expectedLogError: 0.12, uncorrectedLogError: 0.3))
        var paper = ModelConfiguration.paper
        paper.channels = [4, 8]
        return [("residual-4-8", network), ("paper-4-8", Raw2RawNetwork(configuration: paper, cameraA: "cam-a", cameraB: "cam-b", seed: 6))]
    }

    /// A safetensors archive with one tensor of each data type the reader converts.
    static func mixedDataTypeArchive() -> [UInt8] {
        let tensors: [(String, String, [Int], Int)] = [
            ("a_f64", "F64", [2], 8), ("b_f16", "F16", [3], 2), ("c_bf16", "BF16", [2, 1], 2), ("d_i64", "I64", [1], 8),
            ("e_i32", "I32", [2], 4), ("f_i16", "I16", [2], 2), ("g_i8", "I8", [3], 1), ("h_u8", "U8", [1, 3], 1), ("i_bool", "BOOL", [2], 1),
        ]
        var entries: [String] = [], offset = 0
        for (name, dtype, shape, size) in tensors {
            let bytes = shape.reduce(1, *) * size
            entries.append("\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":[\(shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + bytes)]}")
            offset += bytes
        }
        var header = Array(("{\"__metadata__\":{\"k\":\"v\"}," + entries.joined(separator: ",") + "}").utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var out = [UInt8](repeating: 0, count: 8)
        Mutator.store(UInt64(header.count), at: 0, width: 8, bigEndian: false, in: &out)
        out += header
        out += (0..<offset).map { UInt8(truncatingIfNeeded: $0 * 7 + 1) }
        return out
    }

    /// `count` values spread over `0..<bound`, deterministic.
    static func ramp(_ count: Int, below bound: Int) -> [UInt16] {
        (0..<count).map { UInt16(($0 * 7919 + 13) % bound) }
    }
}
