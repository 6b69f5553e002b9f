import Calibration
import Foundation
import RawIO
import RawTensor
import Testing
@testable import Raw2RawModel

/// A smooth test image whose sides need not be multiples of anything.
func testImage(height: Int, width: Int, seed: UInt64 = 5) -> PackedImage {
    var g = SeededGenerator(seed: seed)
    let phases = (0..<8).map { _ in g.nextUniform() * 6 }
    var values = [Float](repeating: 0, count: height * width * 4)
    for y in 0..<height {
        for x in 0..<width {
            for c in 0..<4 {
                let v = 0.45 + 0.25 * Foundation.sin(Float(x) * 0.11 + phases[c]) * Foundation.cos(Float(y) * 0.07 + phases[c + 4])
                values[(y * width + x) * 4 + c] = v + 0.05 * (g.nextUniform() - 0.5)
            }
        }
    }
    return PackedImage(height: height, width: width, values: values)
}

/// A network with non-trivial random corrections (larger last-layer initialisation than training uses).
func randomNetwork(_ base: ModelConfiguration, seed: UInt64 = 1) throws -> Raw2RawNetwork {
    var c = base
    c.correctionInitScale = 0.3
    let image = testImage(height: 40, width: 40)
    var shifted = image
    for i in shifted.values.indices { shifted.values[i] = shifted.values[i] * 0.8 + 0.05 }
    let ab = try ColorMapping.fit(.rootPolynomial2, source: image, target: shifted)
    let ba = try ColorMapping.fit(.rootPolynomial2, source: shifted, target: image)
    return Raw2RawNetwork(configuration: c, cameraA: "A", cameraB: "B",
                          baseMappings: c.architecture == .residual ? DirectionPair(aToB: ab, bToA: ba) : nil, seed: seed)
}

@Suite("Inference")
struct InferenceTests {
    static var tinyDefault: ModelConfiguration {
        var c = ModelConfiguration.default
        c.channels = [8, 16, 16]
        c.contextWidth = 8
        c.thumbnailSize = 16
        c.pixelResidual = true   // the U-Net path is what tiling has to get right
        return c
    }

    static var tinyPaper: ModelConfiguration {
        var c = ModelConfiguration.paper
        c.channels = [8, 16, 16]
        return c
    }

    @Test("tile weights sum to one everywhere; windows are all the same size and hold enough context", arguments: [(97, 64, 32, 12, 4), (50, 50, 16, 8, 8), (31, 200, 64, 20, 0)])
    func partitionOfUnity(height: Int, width: Int, tile: Int, halo: Int, blend: Int) {
        let plan = TilePlan(height: height, width: width, tileSize: tile, halo: halo, blend: blend, multiple: 4)
        for spans in [plan.rows, plan.columns] {
            let length = spans.last!.coreEnd
            for p in 0..<length {
                let total = spans.reduce(Float(0)) { $0 + plan.weight($1, at: p) }
                #expect(total == 1, "position \(p)")
                for s in spans where plan.weight(s, at: p) > 0 {
                    #expect(p >= s.windowStart && p < s.windowEnd)
                }
            }
            let roundedHalo = (halo + 3) / 4 * 4
            #expect(Set(spans.map { $0.windowEnd - $0.windowStart }).count == 1)   // one window size
            for s in spans {
                #expect(s.windowStart % 4 == 0 && s.windowEnd % 4 == 0 && s.coreStart % 4 == 0)
                // Every used pixel has at least halo - blend of context, or the image edge, on each side.
                let used = plan.usedRange(s)
                #expect(s.windowStart == 0 || used.lowerBound - s.windowStart >= roundedHalo - blend)
                #expect(s.windowEnd == length || s.windowEnd - used.upperBound >= roundedHalo - blend)
            }
        }
    }

    @Test("tiled mapping equals mapping the whole image at once (max difference below 1e-5)",
          arguments: [("default", 0), ("paper", 1)])
    func tiledEqualsUntiled(name: String, index: Int) throws {
        let network = try randomNetwork(index == 0 ? Self.tinyDefault : Self.tinyPaper)
        let image = testImage(height: 83, width: 122)   // not multiples of the pooling factor
        for source in CameraSide.allCases {
            let whole = network.map(image, direction: MappingDirection(from: source), tiling: .untiled)
            let tiled = network.map(image, direction: MappingDirection(from: source), tiling: TilingOptions(tileSize: 32, blend: 6, singlePassBudget: 0))
            let diff = zip(whole.values, tiled.values).map { Swift.abs($0 - $1) }.max()!
            #expect(diff < 1e-5, "\(name) from \(source): max difference \(diff)")
            // The mapping does something (the corrections are not zero).
            let change = zip(whole.values, image.values).map { Swift.abs($0 - $1) }.max()!
            #expect(change > 0.01)
        }
        // Too small a halo gives visible differences: the halo matters.
        let cut = network.map(image, direction: .aToB, tiling: TilingOptions(tileSize: 32, halo: 0, blend: 0, singlePassBudget: 0))
        let whole = network.map(image, direction: .aToB, tiling: .untiled)
        #expect(zip(whole.values, cut.values).map { Swift.abs($0 - $1) }.max()! > 1e-4)
    }

    @Test("an image whose one-pass estimate fits the single-pass budget is mapped in one pass, else in tiles")
    func singlePass() throws {
        let network = try randomNetwork(Self.tinyPaper)
        let image = testImage(height: 83, width: 122)
        #expect(network.tilePlan(height: 83, width: 122, tiling: .default).count == 1)
        #expect(network.tilePlan(height: 83, width: 122, tiling: TilingOptions(tileSize: 32, singlePassBudget: 0)).count > 1)
        let onePass = network.estimatedPeakBytes(height: 83, width: 122)
        #expect(network.tilePlan(height: 83, width: 122, tiling: TilingOptions(tileSize: 32, singlePassBudget: onePass)).count == 1)
        #expect(network.tilePlan(height: 83, width: 122, tiling: TilingOptions(tileSize: 32, singlePassBudget: onePass - 1)).count > 1)
        #expect(network.map(image, direction: .aToB) == network.map(image, direction: .aToB, tiling: .untiled))
        // The paper model maps the benchmark's 1024x768 image in one pass with the default budget.
        let paper = Raw2RawNetwork(configuration: .paper, cameraA: "A", cameraB: "B", seed: 0)
        #expect(paper.tilePlan(height: 768, width: 1024, tiling: .default).count == 1)
        #expect(paper.estimatedPeakBytes(height: 768, width: 1024) <= TilingOptions.defaultSinglePassBudget)
    }

    @Test("the peak-memory estimate grows with the tile, not with the image beyond its pixels")
    func peakEstimate() throws {
        let network = Raw2RawNetwork(configuration: .default, cameraA: "A", cameraB: "B", seed: 0)
        let small = network.estimatedPeakBytes(height: 1512, width: 2016)
        let images = 2 * 1512 * 2016 * 16
        #expect(small > images && small < images + 400_000_000)
        let bigTiles = network.estimatedPeakBytes(height: 1512, width: 2016, tiling: TilingOptions(tileSize: 1024))
        #expect(bigTiles > small)
    }

    @Test("a saved model loads and maps identically; bad model folders give errors naming the file")
    func saveAndLoad() throws {
        let network = try randomNetwork(Self.tinyDefault)
        let folder = SyntheticDataset.modelFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try network.save(to: folder)
        let loaded = try Raw2RawNetwork(contentsOf: folder)
        let image = testImage(height: 40, width: 52)
        #expect(loaded.map(image, direction: .bToA) == network.map(image, direction: .bToA))
        #expect(loaded.baseMappings == network.baseMappings)
        #expect(try loaded.map(image, direction: MappingDirection(from: loaded.side(of: "A"))) == network.map(image, direction: .aToB))
        #expect(throws: ModelError.unknownCamera(name: "C", available: ["A", "B"])) { try loaded.side(of: "C") }

        let weightsURL = folder.appendingPathComponent(Raw2RawNetwork.weightsFileName)
        let bytes = try Data(contentsOf: weightsURL)
        try bytes.prefix(100).write(to: weightsURL)
        do {
            _ = try Raw2RawNetwork(contentsOf: folder)
            Issue.record("a truncated weights file loaded")
        } catch {
            guard case .checksumMismatch(let path, _, _) = error else { Issue.record("\(error)"); return }
            #expect(path == weightsURL.path && error.description.contains(weightsURL.path))
        }
        // Without the checksum list (a folder saved by an older raw2raw), the file's own checks name it.
        try FileManager.default.removeItem(at: folder.appendingPathComponent(Raw2RawNetwork.checksumsFileName))
        do {
            _ = try Raw2RawNetwork(contentsOf: folder)
            Issue.record("a truncated weights file loaded")
        } catch {
            guard case .weights = error else { Issue.record("\(error)"); return }
            #expect(error.description.contains(weightsURL.path))
        }
        let descriptionURL = folder.appendingPathComponent(Raw2RawNetwork.descriptionFileName)
        try Data("{}".utf8).write(to: descriptionURL)
        do {
            _ = try Raw2RawNetwork(contentsOf: folder)
            Issue.record("an empty model.json loaded")
        } catch {
            guard case .modelFile(let path, _) = error else { Issue.record("\(error)"); return }
            #expect(path == descriptionURL.path && error.description.contains(descriptionURL.path))
        }
        #expect(throws: ModelError.self) { try Raw2RawNetwork(contentsOf: folder.appendingPathComponent("nothing")) }
    }

    @Test(".mat files map to .mat files")
    func matToMat() throws {
        let network = try randomNetwork(Self.tinyDefault)
        let folder = SyntheticDataset.modelFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let image = testImage(height: 30, width: 44)
        let input = folder.appendingPathComponent("shot.mat")
        try image.writeMAT(to: input)
        let output = try network.mapFile(input, direction: .aToB, outputFolder: folder.appendingPathComponent("out"))
        #expect(try PackedImage(contentsOfMAT: output) == network.map(image, direction: .aToB))
        #expect(throws: ModelError.outputOverwritesInput(path: input.path)) {   // would overwrite
            try network.mapFile(input, direction: .aToB, outputFolder: folder)
        }
    }

    @Test("DNG files map to DNGs with the target camera's CFA and levels (or the input's)")
    func dngToDng() throws {
        let network = try randomNetwork(Self.tinyDefault)
        let folder = SyntheticDataset.modelFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let packed = testImage(height: 24, width: 32)
        var meta = RawMetadata(make: "Test", model: "A")
        meta.iso = 200
        meta.asShotNeutral = [0.5, 1, 0.7]
        let raw = packed.mosaic(pattern: .rggb, blackLevels: [528, 528, 528, 528], whiteLevel: 4095, metadata: meta)
        let input = folder.appendingPathComponent("shot.dng")
        try raw.writeDNG(to: input)
        let template = RawTemplate(pattern: .grbg, blackLevels: [0, 0, 0, 0], whiteLevel: 1023,
                                   metadata: RawMetadata(make: "Test", model: "B"))
        let output = try network.mapFile(input, direction: .aToB, outputFolder: folder.appendingPathComponent("out"), template: template)
        let mapped = try BayerImage(contentsOf: output)
        #expect(mapped.pattern == .grbg && mapped.whiteLevel == 1023 && mapped.blackLevels == [0, 0, 0, 0])
        #expect(mapped.metadata.model == "B" && mapped.metadata.iso == 200)
        let expected = network.map(try BayerImage(contentsOf: input).packed(), direction: .aToB)
        let diff = zip(mapped.packed().values, expected.values).map { Swift.abs($0 - $1) }.max()!
        #expect(diff <= 0.5 / 1023 + 1e-6)     // only the 10-bit quantisation of the output
        // Without a template the input's format is kept.
        let same = try network.mapFile(input, direction: .aToB, outputFolder: folder.appendingPathComponent("same"))
        let kept = try BayerImage(contentsOf: same)
        #expect(kept.pattern == .rggb && kept.whiteLevel == 4095 && kept.blackLevels == [528, 528, 528, 528])
    }
}

@Suite("Pixel-wise fast path")
struct PixelwiseFastPathTests {
    /// The default model (no per-pixel network) mapped in one streaming pass equals the tiled
    /// general path within 1e-5, with and without a target-exposure model, in both directions,
    /// on an image whose sides are not tile multiples.
    @Test(arguments: [false, true])
    func fastPathEqualsTiledPath(withExposure: Bool) throws {
        let network = try randomNetwork(.default)
        #expect(!network.decodesFeatures)
        if withExposure {
            // An exposure model fitted on images of the target camera (a level below the mapped one).
            let targets = (0..<4).map { i in
                var t = testImage(height: 24, width: 24, seed: UInt64(20 + i))
                for k in t.values.indices { t.values[k] *= 0.7 }
                return t
            }
            let anchors = (0..<3).map { testImage(height: 24, width: 24, seed: UInt64(40 + $0)) }
            let exposure = TargetExposure.fit(targets: targets, anchorMapped: anchors, anchorTargets: anchors.map { a in
                PackedImage(height: a.height, width: a.width, values: a.values.map { $0 * 0.7 })
            })
            #expect(exposure != nil, "the test needs an exposure model")
            network.targetExposures = DirectionPair(aToB: exposure, bToA: exposure)
        }
        let image = testImage(height: 75, width: 91, seed: 3)
        for direction in MappingDirection.allCases {
            let correction = network.imageCorrection(image, from: direction.source)
            #expect(correction != nil)
            let tiled = network.map(image, direction: direction, tiling: TilingOptions(tileSize: 32, singlePassBudget: 0),
                                    correction: correction, pixelwise: false)
            let fast = network.map(image, direction: direction, tiling: TilingOptions(tileSize: 32, singlePassBudget: 0),
                                   correction: correction, pixelwise: true)
            let worst = zip(tiled.values, fast.values).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-5, "\(direction): largest difference \(worst)")
            // The public entry point takes the fast path.
            #expect(network.map(image, direction: direction) == fast)
            // Base alone (validation's baseline) too.
            let baseTiled = network.map(image, direction: direction, tiling: .default, correction: nil, stage: .base, pixelwise: false)
            let baseFast = network.map(image, direction: direction, tiling: .default, correction: nil, stage: .base)
            #expect(zip(baseTiled.values, baseFast.values).allSatisfy { abs($0 - $1) <= 1e-5 })
        }
    }
}
