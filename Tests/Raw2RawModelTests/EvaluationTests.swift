import Calibration
import Foundation
import RawIO
import Testing
@testable import Raw2RawModel
@testable import Evaluation

/// Writes `images` as `.mat` files named `names` into a fresh folder and returns it.
private func writeFolder(_ images: [PackedImage], names: [String], in root: URL, _ sub: String) -> URL {
    let folder = root.appendingPathComponent(sub)
    try! FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for (image, name) in zip(images, names) { try! image.writeMAT(to: folder.appendingPathComponent(name + ".mat")) }
    return folder
}

private func temporaryFolder() -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("raw2raw-evaluation-tests-\(UUID().uuidString)")
}

/// A deterministic smooth packed image.
private func pattern(height: Int, width: Int, phase: Float) -> PackedImage {
    var v = [Float](repeating: 0, count: height * width * 4)
    for y in 0..<height {
        for x in 0..<width {
            for c in 0..<4 {
                v[(y * width + x) * 4 + c] = 0.2 + 0.15 * Float(c) * 0.5 + 0.2 * sin(Float(x) * 0.3 + phase + Float(c)) * cos(Float(y) * 0.2)
            }
        }
    }
    return PackedImage(height: height, width: width, values: v)
}

@Suite("Evaluation")
struct EvaluationTests {
    @Test("the JSON report has every method in both directions, with the documented keys and finite numbers")
    func jsonSchema() throws {
        let data = SyntheticDataset(unpaired: 2, anchors: 3, tests: 3, size: 32, seed: 7)
        defer { data.remove() }
        let modelFolder = SyntheticDataset.modelFolder()
        defer { try? FileManager.default.removeItem(at: modelFolder) }
        let trainer = try Trainer(configuration: .tiny(steps: 2), data: try data.trainingData(), modelDirectory: modelFolder)
        try trainer.run()

        let methods = try Evaluator.standardMethods(layout: data.layout, cameraA: "A", cameraB: "B", modelDirectory: modelFolder)
        let expected = ["identity", "single-calibration-3x3", "anchor-linear3x3", "anchor-linear4x4", "anchor-poly16",
                        "anchor-rootpoly2", "learned"]
        #expect(methods.map(\.name) == expected)
        let report = try Evaluator(methods: methods, figurePairs: 1).evaluate(try data.layout.testPairs(cameraA: "A", cameraB: "B"))

        let object = try #require(try JSONSerialization.jsonObject(with: report.jsonData()) as? [String: Any])
        #expect(Set(object.keys) == ["results"])
        let rows = try #require(object["results"] as? [[String: Any]])
        #expect(rows.count == expected.count * 2)
        for direction in ["A->B", "B->A"] {
            let names = rows.filter { $0["direction"] as? String == direction }.compactMap { $0["method"] as? String }
            #expect(names == expected, "methods of \(direction)")
        }
        for row in rows {
            for key in ["psnr", "mae", "angularErrorMean", "angularErrorMedian"] {
                let value = try #require(row[key] as? Double, "\(row["method"] ?? "?") \(key)")
                #expect(value.isFinite && value >= 0, "\(row["method"] ?? "?") \(key) = \(value)")
            }
            #expect(row["imageCount"] as? Int == 3)
            #expect(row["perImage"] == nil, "per-image metrics only with includePerImage")
        }
        // Least squares fitted on the anchors beats doing nothing on this data.
        for d in MappingDirection.allCases {
            let identity = try #require(report.result(method: "identity", direction: d))
            let poly = try #require(report.result(method: "anchor-poly16", direction: d))
            #expect(poly.psnr > identity.psnr)
        }
        let full = try #require(try JSONSerialization.jsonObject(with: report.jsonData(includePerImage: true)) as? [String: Any])
        let first = try #require((full["results"] as? [[String: Any]])?.first)
        #expect((first["perImage"] as? [String: Any])?.keys.sorted() == ["test0", "test1", "test2"])
    }

    @Test("identity has infinite PSNR and zero error when source and target are the same images")
    func identityOnIdenticalPairs() throws {
        let root = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let images = [pattern(height: 12, width: 16, phase: 0), pattern(height: 12, width: 16, phase: 1)]
        let a = writeFolder(images, names: ["p0", "p1"], in: root, "a")
        let b = writeFolder(images, names: ["p0", "p1"], in: root, "b")
        let pairs = try PackedImagePairSet(folderA: a, folderB: b)
        let report = try Evaluator(methods: [.identity], figurePairs: 0).evaluate(pairs)
        #expect(report.results.count == 2)
        for r in report.results {
            #expect(r.psnr == .infinity)
            #expect(r.mae == 0)
            #expect(r.angularErrorMean == 0)
            #expect(r.angularErrorMedian == 0)
        }
        let text = String(decoding: report.jsonData(), as: UTF8.self)
        #expect(text.contains("\"psnr\" : \"Infinity\""))
        #expect(report.markdownTable().contains("**inf**"))
    }

    @Test("a cancelled task stops the evaluation with a typed error before reading any pair")
    func cancellation() async throws {
        let root = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let images = [pattern(height: 12, width: 16, phase: 0), pattern(height: 12, width: 16, phase: 1)]
        let pairs = try PackedImagePairSet(folderA: writeFolder(images, names: ["p0", "p1"], in: root, "a"),
                                           folderB: writeFolder(images, names: ["p0", "p1"], in: root, "b"))
        let task = Task { () -> Result<EvaluationReport, EvaluationError> in
            withUnsafeCurrentTask { $0?.cancel() }
            do throws(EvaluationError) {
                return .success(try Evaluator(methods: [.identity], figurePairs: 0).evaluate(pairs))
            } catch {
                return .failure(error)
            }
        }
        let result = await task.value
        guard case .failure(let error) = result, case .cancelled(let done) = error else {
            Issue.record("expected .cancelled, got \(result)")
            return
        }
        #expect(done == 0)
        #expect(error.description.contains("cancelled after 0 test pairs"))
    }

    @Test("per-image metrics and aggregates are Calibration's, and match hand-computed values")
    func metricsAgreeWithCalibration() throws {
        let root = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let sources = (0..<3).map { pattern(height: 10, width: 14, phase: Float($0)) }
        // Targets: the sources plus a constant offset of 0.1 (below clipping), so the error of
        // "identity" is exactly 0.1 on every value: MAE 0.1, MSE 0.01, PSNR 20 dB.
        let targets = sources.map { PackedImage(height: $0.height, width: $0.width, values: $0.values.map { $0 + 0.1 }) }
        let pairs = try PackedImagePairSet(folderA: writeFolder(sources, names: ["x", "y", "z"], in: root, "a"),
                                           folderB: writeFolder(targets, names: ["x", "y", "z"], in: root, "b"))
        let half = EvaluationMethod(name: "half") { image, _ in
            PackedImage(height: image.height, width: image.width, values: image.values.map { $0 * 0.5 })
        }
        let report = try Evaluator(methods: [.identity, half], directions: [.aToB], figurePairs: 0).evaluate(pairs)
        let identity = try #require(report.result(method: "identity", direction: .aToB))
        #expect(abs(identity.psnr - 20) < 1e-4)
        #expect(abs(identity.mae - 0.1) < 1e-6)
        #expect(identity.imageCount == 3)

        let r = try #require(report.result(method: "half", direction: .aToB))
        let direct = zip(sources, targets).map { s, t in
            ImageMetrics(prediction: PackedImage(height: s.height, width: s.width, values: s.values.map { $0 * 0.5 }), reference: t)
        }
        #expect(r.perImage?["x"] == direct[0] && r.perImage?["y"] == direct[1] && r.perImage?["z"] == direct[2])
        let summary = MetricSummary(direct)
        #expect(r.summary == summary)
        #expect(r.psnr == direct.map(\.psnr).reduce(0, +) / 3)
        #expect(r.mae == summary.mae.mean)
        #expect(r.angularErrorMean == summary.angularMean?.mean)
        #expect(r.angularErrorMedian == summary.angularMedian?.mean)
        #expect(r.medianOverImages.psnr == summary.psnr.median)
        // The reverse direction was not asked for.
        #expect(report.result(method: "half", direction: .bToA) == nil)
    }

    @Test("the single calibration is a 3x3 fitted on the first anchor pair; the anchor fits use all pairs")
    func baselines() throws {
        let data = SyntheticDataset(unpaired: 1, anchors: 3, tests: 1, size: 24, seed: 3)
        defer { data.remove() }
        let anchors = try data.layout.anchorPairs(cameraA: "A", cameraB: "B")
        let methods = try BaselineMethods.fit(anchors: anchors)
        #expect(methods.map(\.name) == ["single-calibration-3x3", "anchor-linear3x3", "anchor-linear4x4", "anchor-poly16", "anchor-rootpoly2"])
        let p0 = try anchors.pair(at: 0), p1 = try anchors.pair(at: 1), p2 = try anchors.pair(at: 2)
        let single = try ColorMapping.fit(.linear3x3, source: p0.b, target: p0.a)
        #expect(try methods[0].map(p1.b, .bToA) == single.apply(to: p1.b))
        let all = try ColorMapping.fit(.linear4x4, sources: [p0.a, p1.a, p2.a], targets: [p0.b, p1.b, p2.b])
        #expect(try methods[2].map(p2.a, .aToB) == all.apply(to: p2.a))
    }

    @Test("a report folder holds report.md, results.json and one figure per pair and direction")
    func reportFolder() throws {
        let root = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let sources = (0..<3).map { pattern(height: 8, width: 10, phase: Float($0)) }
        let targets = sources.map { PackedImage(height: $0.height, width: $0.width, values: $0.values.map { min(1, $0 * 1.2) }) }
        let pairs = try PackedImagePairSet(folderA: writeFolder(sources, names: ["a0", "a1", "a2"], in: root, "a"),
                                           folderB: writeFolder(targets, names: ["a0", "a1", "a2"], in: root, "b"))
        let gain = EvaluationMethod(name: "gain") { image, d in
            PackedImage(height: image.height, width: image.width, values: image.values.map { d == .aToB ? min(1, $0 * 1.2) : $0 / 1.2 })
        }
        let style = EvaluationFigureStyle(maxTileWidth: 5, errorScale: 0.05, gap: 2)
        let report = try Evaluator(methods: [.identity, gain], figurePairs: 2, figureStyle: style).evaluate(pairs)
        #expect(report.figures.count == 4)
        let figure = report.figures[0]
        #expect(figure.columns == ["source", "identity", "gain", "target"])
        // Tiles of 10 pixels wide are sampled with stride 2 to 5x4; 4 columns and 2 rows with 2-pixel gaps.
        #expect(figure.image.width == 4 * 5 + 3 * 2 && figure.image.height == 2 * 4 + 2)
        // Under "gain" (exact A->B), the error map is black; under identity it is not.
        #expect(figure.image[4 + 2 + 1, 2 * (5 + 2) + 1] == SIMD3(0, 0, 4))
        #expect(figure.image[4 + 2 + 1, 1 * (5 + 2) + 1] != SIMD3(0, 0, 4))

        let out = root.appendingPathComponent("report")
        let files = try report.write(to: out, notes: ["a note"])
        let names = Set(files.map { $0.path.replacingOccurrences(of: out.path + "/", with: "") })
        #expect(names == ["report.md", "results.json", "figures/a0_A-to-B.png", "figures/a0_B-to-A.png",
                          "figures/a1_A-to-B.png", "figures/a1_B-to-A.png"])
        let md = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(md.contains("a note") && md.contains("| gain | A->B |") && md.contains("source, identity, gain, target"))
        let png = try Data(contentsOf: out.appendingPathComponent("figures/a0_A-to-B.png"))
        #expect(png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("results.json"))) as? [String: Any]
        #expect((json?["results"] as? [[String: Any]])?.count == 4)
        // No temporary files are left behind.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty)
    }

    @Test("the comparison sentence states whether a method beats each baseline")
    func comparison() {
        func result(_ m: String, _ d: MappingDirection, _ psnr: Double) -> EvaluationResult {
            EvaluationResult(method: m, direction: d,
                             perImage: [ImageMetrics(psnr: psnr, mae: 0.01, rmse: 0.01, angularError: nil, ssim: nil, pixelCount: 1)],
                             pairNames: ["p"])
        }
        let report = EvaluationReport(results: [result("learned", .aToB, 30), result("base", .aToB, 29),
                                                result("learned", .bToA, 28), result("base", .bToA, 28.5)],
                                      pairNames: ["p"])
        let lines = report.comparison(of: "learned", against: ["base"])
        #expect(lines.count == 2)
        #expect(lines[0].hasPrefix("A->B: learned beats base") && lines[0].contains("+1.00 dB"))
        #expect(lines[1].hasPrefix("B->A: learned does not beat base") && lines[1].contains("-0.50 dB"))
    }

    @Test("the strongest-baseline sentence picks the best PSNR and the lowest angular error among non-identity methods")
    func bestBaseline() {
        func result(_ m: String, _ d: MappingDirection, _ psnr: Double, _ angle: Double) -> EvaluationResult {
            let a = AngularErrorStatistics(mean: angle, median: angle, worst25: angle, pixelCount: 1)
            return EvaluationResult(method: m, direction: d,
                                    perImage: [ImageMetrics(psnr: psnr, mae: 0.01, rmse: 0.01, angularError: a, ssim: nil, pixelCount: 1)],
                                    pairNames: ["p"])
        }
        let report = EvaluationReport(results: [result("identity", .aToB, 40, 0.1), result("learned", .aToB, 30, 2),
                                                result("x", .aToB, 29, 1.5), result("y", .aToB, 28, 2.5)],
                                      pairNames: ["p"])
        let lines = report.bestBaselineComparison(of: "learned")
        #expect(lines.count == 1)
        #expect(lines[0].contains("best baseline PSNR, x 29.00 dB (+1.00 dB)"), "\(lines[0])")
        #expect(lines[0].contains("the lowest, x 1.500° (+0.500°)"), "\(lines[0])")
    }

    @Test("the automatic heat-map scale is the 95th percentile rounded up to 1, 2 or 5 times a power of ten")
    func automaticScale() {
        let errors = (0..<100).map { Float($0) * 0.001 }  // 95th percentile: 0.095
        #expect(EvaluationFigure.automaticScale(errors) == 0.1)
        #expect(abs(EvaluationFigure.automaticScale(errors.map { $0 * 0.3 }) - 0.05) < 1e-7)
        #expect(abs(EvaluationFigure.automaticScale([0.013]) - 0.02) < 1e-7)
        #expect(EvaluationFigure.automaticScale([0, 0]) == 0.0001)
        #expect(EvaluationFigure.color(0) == SIMD3(0, 0, 4) && EvaluationFigure.color(1) == SIMD3(252, 255, 164))
    }
}
