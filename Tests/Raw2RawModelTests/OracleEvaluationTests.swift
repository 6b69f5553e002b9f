import Calibration
import Foundation
import RawIO
import Testing
@testable import Raw2RawModel
@testable import Evaluation

/// Writes `images` as `.mat` files named `names` into `root/sub` and returns that folder.
private func writeImages(_ images: [PackedImage], names: [String], in root: URL, _ sub: String) -> URL {
    let folder = root.appendingPathComponent(sub)
    try! FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for (image, name) in zip(images, names) { try! image.writeMAT(to: folder.appendingPathComponent(name + ".mat")) }
    return folder
}

/// A deterministic packed image in [0.1, 0.5] whose four channels vary independently (different
/// frequencies per channel), so that a 4x4 or a root-polynomial fit on it is well posed; with
/// `brightBlock`, the top-left quarter is `brightBlock` times brighter.
private func independentChannels(height: Int, width: Int, phase: Float, brightBlock: Float = 1) -> PackedImage {
    var v = [Float](repeating: 0, count: height * width * 4)
    let fx: [Float] = [0.31, 0.17, 0.53, 0.11], fy: [Float] = [0.07, 0.29, 0.13, 0.41]
    for y in 0..<height {
        for x in 0..<width {
            let scale: Float = y < height / 2 && x < width / 2 ? brightBlock : 1
            for c in 0..<4 {
                let s = Foundation.sin(fx[c] * Float(x) + fy[c] * Float(y) + phase * Float(c + 1))
                v[(y * width + x) * 4 + c] = scale * (0.1 + 0.4 * (0.5 + 0.5 * s))
            }
        }
    }
    return PackedImage(height: height, width: width, values: v)
}

/// `min(1, gain * matrix * p)` for every packed pixel `p` (no lower clip needed: all terms are positive).
private func transform(_ image: PackedImage, _ matrix: [[Float]], gain: Float = 1) -> PackedImage {
    var out = image.values
    for p in 0..<image.pixelCount {
        for r in 0..<4 {
            var sum: Float = 0
            for c in 0..<4 { sum += matrix[r][c] * image.values[4 * p + c] }
            out[4 * p + r] = min(1, gain * sum)
        }
    }
    return PackedImage(height: image.height, width: image.width, values: out)
}

private func maxAbsDifference(_ a: PackedImage, _ b: PackedImage) -> Float {
    zip(a.values, b.values).map { Swift.abs($0 - $1) }.max() ?? 0
}

private func result(_ m: String, _ d: MappingDirection, _ psnr: Double, _ angle: Double, oracle: Bool = false) -> EvaluationResult {
    let a = AngularErrorStatistics(mean: angle, median: angle, worst25: angle, pixelCount: 1)
    return EvaluationResult(method: m, direction: d,
                            perImage: [ImageMetrics(psnr: psnr, mae: 0.01, rmse: 0.01, angularError: a, ssim: nil, pixelCount: 1)],
                            pairNames: ["p"], oracle: oracle)
}

extension EvaluationTests {
    /// A cross-talk matrix with positive entries (row sums about 1.0 to 1.3).
    static let crossTalk: [[Float]] = [
        [0.90, 0.20, 0.05, 0.10],
        [0.10, 0.85, 0.15, 0.05],
        [0.05, 0.20, 0.80, 0.15],
        [0.02, 0.08, 0.25, 0.95],
    ]

    @Test("the per-image 4x4 oracle recovers a target that is exactly a 4x4 of the source, in both directions")
    func perImageOracleRecoversMatrix() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("raw2raw-oracle-tests-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        // The first pair has a bright block whose target clips at 1 (dropped by the fit's mask;
        // the prediction clips there too). Targets are the known matrix times the source.
        let sources = [independentChannels(height: 16, width: 20, phase: 0, brightBlock: 1.8),
                       independentChannels(height: 16, width: 20, phase: 1.3)]
        let targets = sources.map { transform($0, Self.crossTalk) }
        #expect(targets[0].values.contains(1), "the bright block clips in the target")
        let pairs = try PackedImagePairSet(folderA: writeImages(sources, names: ["p0", "p1"], in: root, "a"),
                                           folderB: writeImages(targets, names: ["p0", "p1"], in: root, "b"))
        let oracle = OracleMethods.perImageLinear4x4()
        #expect(oracle.name == "oracle-per-image-4x4" && oracle.isOracle)
        // A->B: the prediction is the known target.
        for (s, t) in zip(sources, targets) {
            let prediction = try oracle.predict(source: s, target: t, direction: .aToB)
            #expect(maxAbsDifference(prediction, t) < 1e-5)
        }
        // B->A on the unclipped pair: the inverse matrix maps back to the source.
        #expect(maxAbsDifference(try oracle.predict(source: targets[1], target: sources[1], direction: .bToA), sources[1]) < 1e-5)
        // An oracle needs the target: its plain map refuses.
        #expect(throws: EvaluationError.self) { try oracle.map(sources[0], .aToB) }

        let report = try Evaluator(methods: [.identity, oracle], directions: [.aToB], figurePairs: 0).evaluate(pairs)
        let r = try #require(report.result(method: "oracle-per-image-4x4", direction: .aToB))
        #expect(r.isOracle && r.psnr > 90, "PSNR \(r.psnr)")
        #expect(r.mae < 1e-6)
        #expect(report.result(method: "identity", direction: .aToB)?.isOracle == false)
    }

    @Test("the exposure oracle recovers known per-image gains on top of the aligned anchor fit")
    func exposureOracleRecoversGains() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("raw2raw-oracle-tests-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        // Anchors: targets are the matrix times the source, at exposures 0.8, 1.25 and 1 (geometric mean 1).
        let anchorSources = (0..<3).map { independentChannels(height: 16, width: 20, phase: 0.4 + Float($0)) }
        let anchorTargets = zip(anchorSources, [Float(0.8), 1.25, 1]).map { transform($0, Self.crossTalk, gain: $1) }
        let anchors = try PackedImagePairSet(folderA: writeImages(anchorSources, names: ["n0", "n1", "n2"], in: root, "anchor-a"),
                                             folderB: writeImages(anchorTargets, names: ["n0", "n1", "n2"], in: root, "anchor-b"))
        // Test pairs: the same matrix at exposures 0.6 and 1.5; the second has a block that clips in the target.
        let gains: [Float] = [0.6, 1.5]
        let testSources = [independentChannels(height: 16, width: 20, phase: 2.1),
                           independentChannels(height: 16, width: 20, phase: 3.7, brightBlock: 1.6)]
        let unscaled = testSources.map { transform($0, Self.crossTalk) }
        let testTargets = zip(testSources, gains).map { transform($0, Self.crossTalk, gain: $1) }
        #expect(testTargets[1].values.contains(1), "the bright block clips in the target")
        let tests = try PackedImagePairSet(folderA: writeImages(testSources, names: ["t0", "t1"], in: root, "test-a"),
                                           folderB: writeImages(testTargets, names: ["t0", "t1"], in: root, "test-b"))

        let oracles = try OracleMethods.fit(anchors: anchors)
        #expect(oracles.map(\.name) == ["oracle-aligned-rootpoly2-gain", "oracle-per-image-4x4"])
        #expect(oracles.map(\.isOracle) == [true, true])
        // The prediction is the known gain times the known matrix times the source: the gain is recovered.
        for i in 0..<2 {
            let prediction = try oracles[0].predict(source: testSources[i], target: testTargets[i], direction: .aToB)
            #expect(maxAbsDifference(prediction, testTargets[i]) < 2e-3, "pair \(i)")
            var num = 0.0, den = 0.0
            for (p, u) in zip(prediction.values, unscaled[i].values) where p < 0.97 {
                num += Double(p)
                den += Double(u)
            }
            #expect(Swift.abs(num / den - Double(gains[i])) < 1e-3, "pair \(i): gain \(num / den), expected \(gains[i])")
        }
        let plain = try BaselineMethods.fit(anchors: anchors).first { $0.name == "anchor-rootpoly2" }!
        let report = try Evaluator(methods: [plain] + oracles, directions: [.aToB], figurePairs: 0).evaluate(tests)
        let oracle = try #require(report.result(method: "oracle-aligned-rootpoly2-gain", direction: .aToB))
        let baseline = try #require(report.result(method: "anchor-rootpoly2", direction: .aToB))
        #expect(oracle.isOracle && !baseline.isOracle)
        #expect(oracle.psnr > 55, "oracle PSNR \(oracle.psnr)")
        #expect(oracle.psnr > baseline.psnr + 25, "oracle \(oracle.psnr) dB, plain fit \(baseline.psnr) dB")
    }

    @Test("oracle rows are flagged in JSON and Markdown and are never the strongest baseline or the best in bold")
    func oracleRowsInReports() throws {
        let report = EvaluationReport(results: [result("identity", .aToB, 20, 3), result("learned", .aToB, 30, 2),
                                                result("x", .aToB, 29, 1.5), result("y", .aToB, 28, 2.5),
                                                result("oracle-o", .aToB, 40, 0.5, oracle: true)],
                                      pairNames: ["p"])
        let best = report.bestBaselineComparison(of: "learned")
        #expect(best.count == 1)
        #expect(best[0].contains("best baseline PSNR, x 29.00 dB (+1.00 dB)"), "\(best[0])")
        #expect(best[0].contains("the lowest, x 1.500° (+0.500°)"), "\(best[0])")

        let object = try #require(try JSONSerialization.jsonObject(with: report.jsonData()) as? [String: Any])
        let rows = try #require(object["results"] as? [[String: Any]])
        for row in rows {
            if row["method"] as? String == "oracle-o" {
                #expect(row["oracle"] as? Bool == true)
            } else {
                #expect(row["oracle"] == nil, "\(row["method"] ?? "?") has no oracle key")
            }
        }
        let decoded = try JSONDecoder().decode([String: [EvaluationResult]].self, from: report.jsonData())
        #expect(decoded["results"]?.map(\.isOracle) == [false, false, false, false, true])

        let table = report.markdownTable()
        #expect(table.contains("| oracle-o (oracle: uses the test target) | A->B | 40.00 |"), "\(table)")
        #expect(table.contains("| learned | A->B | **30.00** |"), "\(table)")
        #expect(report.oracleComparison(of: "learned") == ["A->B: learned 30.00 dB is 10.00 dB below oracle-o (40.00 dB)"])
        let md = report.markdown()
        #expect(md.contains("## Below the oracles") && md.contains("Rows marked (oracle: uses the test target) are oracles: oracle-o."))
    }

    @Test("standardMethods adds the oracles last only when asked; without them the report is unchanged")
    func oraclesOptional() throws {
        let data = SyntheticDataset(unpaired: 1, anchors: 3, tests: 2, size: 24, seed: 5)
        defer { data.remove() }
        let tests = try data.layout.testPairs(cameraA: "A", cameraB: "B")
        let plain = try Evaluator.standardMethods(layout: data.layout, cameraA: "A", cameraB: "B")
        let off = try Evaluator.standardMethods(layout: data.layout, cameraA: "A", cameraB: "B", oracles: false)
        let on = try Evaluator.standardMethods(layout: data.layout, cameraA: "A", cameraB: "B", oracles: true)
        let baseNames = ["identity", "single-calibration-3x3", "anchor-linear3x3", "anchor-linear4x4", "anchor-poly16", "anchor-rootpoly2"]
        #expect(plain.map(\.name) == baseNames && off.map(\.name) == baseNames)
        #expect(on.map(\.name) == baseNames + ["oracle-aligned-rootpoly2-gain", "oracle-per-image-4x4"])
        #expect(on.map(\.isOracle) == baseNames.map { _ in false } + [true, true])

        let reportPlain = try Evaluator(methods: plain, figurePairs: 0).evaluate(tests)
        let reportOff = try Evaluator(methods: off, figurePairs: 0).evaluate(tests)
        let reportOn = try Evaluator(methods: on, figurePairs: 0).evaluate(tests)
        #expect(reportOff.results == reportPlain.results)
        #expect(reportOff.jsonData(includePerImage: true) == reportPlain.jsonData(includePerImage: true))
        #expect(reportOff.markdown() == reportPlain.markdown())
        #expect(!reportOff.markdown().contains("oracle") && !String(decoding: reportOff.jsonData(), as: UTF8.self).contains("oracle"))
        // The oracles add rows and change nothing else.
        #expect(reportOn.results.filter { !$0.isOracle } == reportPlain.results)
        let tableOn = reportOn.markdownTable().split(separator: "\n").filter { !$0.contains("(oracle: uses the test target)") }
        #expect(tableOn == reportPlain.markdownTable().split(separator: "\n"))
        // A 4x4 fitted by least squares on the test pair itself has, on that pair, an error no larger
        // than any other 4x4's, in particular the one fitted on the anchors: pair by pair, the
        // per-image oracle is at least as good as anchor-linear4x4. (How much the exposure oracle
        // gains is tested against known gains in exposureOracleRecoversGains.)
        for d in MappingDirection.allCases {
            let anchor = try #require(reportOn.result(method: "anchor-linear4x4", direction: d)?.perImage)
            let perImage = try #require(reportOn.result(method: "oracle-per-image-4x4", direction: d)?.perImage)
            #expect(anchor.count == 2 && Set(perImage.keys) == Set(anchor.keys))
            for (name, a) in anchor {
                let o = try #require(perImage[name])
                #expect(o.psnr >= a.psnr - 1e-6, "\(d) \(name): per-image oracle \(o.psnr) dB, anchor 4x4 \(a.psnr) dB")
            }
        }
    }
}
