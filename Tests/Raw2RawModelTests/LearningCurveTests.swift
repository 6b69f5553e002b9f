import Calibration
import Foundation
import Testing
@testable import Evaluation
@testable import Raw2RawModel
@testable import RawIO

/// Decodes a PNG as RawIO writes it (8-bit RGB, non-interlaced), checking the signature, the
/// chunk order and every chunk's CRC.
private func decodePNG(_ data: Data) throws -> RGBImage8 {
    struct Bad: Error { var reason: String }
    let bytes = [UInt8](data)
    guard bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else { throw Bad(reason: "signature") }
    func u32(_ i: Int) -> Int { Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3]) }
    var i = 8, width = 0, height = 0, types: [String] = []
    var idat: [UInt8] = []
    while i < bytes.count {
        guard i + 12 <= bytes.count else { throw Bad(reason: "truncated chunk") }
        let length = u32(i)
        guard i + 12 + length <= bytes.count else { throw Bad(reason: "chunk past the end") }
        let typeAndBody = Array(bytes[(i + 4)..<(i + 8 + length)])
        let crc = typeAndBody.withUnsafeBytes { Zlib.crc32(0, $0) }
        guard crc == UInt32(u32(i + 8 + length)) else { throw Bad(reason: "CRC") }
        let type = String(decoding: typeAndBody.prefix(4), as: UTF8.self)
        types.append(type)
        if type == "IHDR" {
            width = u32(i + 8)
            height = u32(i + 12)
            guard Array(bytes[(i + 16)..<(i + 21)]) == [8, 2, 0, 0, 0] else { throw Bad(reason: "IHDR fields") }
        }
        if type == "IDAT" { idat += typeAndBody.dropFirst(4) }
        i += 12 + length
    }
    guard types.first == "IHDR", types.last == "IEND", width > 0, height > 0 else { throw Bad(reason: "chunks \(types)") }
    let rowBytes = 3 * width
    guard case .complete(let raw) = try Zlib.inflate(idat[...], limit: height * (rowBytes + 1) + 1),
          raw.count == height * (rowBytes + 1) else { throw Bad(reason: "image data") }
    var pixels = [UInt8](repeating: 0, count: height * rowBytes)
    for y in 0..<height {
        let filter = raw[y * (rowBytes + 1)]
        guard filter == 0 || filter == 1 else { throw Bad(reason: "filter \(filter)") }
        for x in 0..<rowBytes {
            let left = filter == 1 && x >= 3 ? pixels[y * rowBytes + x - 3] : 0
            pixels[y * rowBytes + x] = raw[y * (rowBytes + 1) + 1 + x] &+ left
        }
    }
    return RGBImage8(width: width, height: height, pixels: pixels)
}

/// A result whose every image has PSNR `psnr`.
private func result(_ method: String, _ direction: MappingDirection, _ psnr: Double) -> EvaluationResult {
    let m = ImageMetrics(psnr: psnr, mae: 0.01, rmse: 0.01, angularError: nil, ssim: nil, pixelCount: 4)
    return EvaluationResult(method: method, direction: direction, perImage: [m, m], pairNames: ["p0", "p1"])
}

@Suite("Training log and learning curves", .serialized)
struct LearningCurveTests {
    static func config(steps: Int) -> TrainingConfiguration {
        var c = TrainingConfiguration.tiny(.default, steps: steps)
        c.optimization.schedule = ScheduleConfiguration(kind: .constant)
        c.monitoring.validationInterval = 2
        c.monitoring.validationCrop = 32
        c.monitoring.checkpointInterval = 4
        c.monitoring.keepCheckpoints = 3
        c.seed = 5
        return c
    }

    @Test("training writes a log entry per validation; a resumed run keeps the entries up to its checkpoint and appends")
    func logSurvivesResume() throws {
        let ds = SyntheticDataset(unpaired: 5, anchors: 3, tests: 2, size: 48)
        let full = SyntheticDataset.modelFolder(), split = SyntheticDataset.modelFolder()
        defer { ds.remove(); try? FileManager.default.removeItem(at: full); try? FileManager.default.removeItem(at: split) }
        let uninterrupted = try Trainer(configuration: Self.config(steps: 12), data: ds.trainingData(), modelDirectory: full)
        var validations: [ValidationResult] = []
        var losses: [Float] = []
        try uninterrupted.run { p in
            losses.append(p.losses.total)
            if let v = p.validation { validations.append(v) }
        }
        let expected = uninterrupted.trainingLog
        #expect(expected.entries.map(\.step) == [2, 4, 6, 8, 10, 12])
        #expect(expected.entries.map(\.psnrAToB) == validations.map(\.psnrAToB))
        #expect(expected.entries.map(\.psnrBToA) == validations.map(\.psnrBToA))
        // The loss of an entry is the mean of the steps since the previous one.
        #expect(abs(expected.entries[1].loss - (Double(losses[2]) + Double(losses[3])) / 2) < 1e-6)
        #expect(zip(expected.entries, expected.entries.dropFirst()).allSatisfy { $0.seconds <= $1.seconds })
        let onDisk = try #require(try TrainingLog.read(from: full))
        #expect(onDisk.entries.map(\.step) == expected.entries.map(\.step))
        #expect(zip(onDisk.entries, expected.entries).allSatisfy { abs($0.psnrAToB - $1.psnrAToB) < 1e-4 && abs($0.seconds - $1.seconds) < 1e-3 })

        // A first session of 6 steps, whose final checkpoint (step 6) is then lost: its log
        // holds entries 2, 4 and 6, the newest checkpoint is the one of step 4.
        let first = try Trainer(configuration: Self.config(steps: 6), data: ds.trainingData(), modelDirectory: split)
        try first.run()
        #expect(try TrainingLog.read(from: split)?.entries.map(\.step) == [2, 4, 6])
        try FileManager.default.removeItem(at: split.appendingPathComponent("checkpoints/step-00000006"))
        let resumed = try Trainer(configuration: Self.config(steps: 12), data: ds.trainingData(), modelDirectory: split, resume: true)
        #expect(resumed.step == 4)
        #expect(resumed.trainingLog.entries.map(\.step) == [2, 4])
        #expect(resumed.notes.contains { $0.contains("training log") && $0.contains("after step 4") })
        let secondsAtResume = resumed.trainingLog.entries[1].seconds
        try resumed.run()
        let log = try #require(try TrainingLog.read(from: split))
        #expect(log.entries.map(\.step) == [2, 4, 6, 8, 10, 12])
        // The same curve as the uninterrupted run (the CSV keeps 4 decimals); time only grows.
        for (a, b) in zip(log.entries, expected.entries) {
            #expect(abs(a.psnrAToB - b.psnrAToB) < 1e-4 && abs(a.psnrBToA - b.psnrBToA) < 1e-4)
            #expect(abs(a.loss - b.loss) <= 1e-5 * max(1, abs(b.loss)))
        }
        #expect(log.entries.dropFirst(2).allSatisfy { $0.seconds >= secondsAtResume })
        #expect(zip(log.entries, log.entries.dropFirst()).allSatisfy { $0.seconds <= $1.seconds })

        // A new run in the folder starts a new log.
        _ = try Trainer(configuration: Self.config(steps: 12), data: ds.trainingData(), modelDirectory: split)
        #expect(try TrainingLog.read(from: split) == nil)
    }

    @Test("the CSV form round-trips and rejects what is not a log")
    func csvRoundTrip() throws {
        let log = TrainingLog(entries: [TrainingLogEntry(step: 250, seconds: 61.5, loss: 0.125, psnrAToB: 21.25, psnrBToA: 20.5),
                                        TrainingLogEntry(step: 500, seconds: 123, loss: 0.0625, psnrAToB: 23.5, psnrBToA: 22.75)])
        #expect(log.csv.hasPrefix(TrainingLog.header + "\n250,61.500,0.125,21.2500,20.5000\n"))
        #expect(try TrainingLog(csv: log.csv) == log)
        #expect(throws: ModelError.self) { try TrainingLog(csv: "step,loss\n1,2\n") }
        #expect(throws: ModelError.self) { try TrainingLog(csv: TrainingLog.header + "\n1,2,x,4,5\n") }
    }

    @Test("the figure is a valid PNG with a line and a baseline where their values put them")
    func figurePixels() throws {
        let log = TrainingLog(entries: [TrainingLogEntry(step: 100, seconds: 10, loss: 0.2, psnrAToB: 20, psnrBToA: 22),
                                        TrainingLogEntry(step: 200, seconds: 20, loss: 0.1, psnrAToB: 24, psnrBToA: 26)])
        let baseline = LearningCurveBaseline(label: "single-calibration-3x3", psnrAToB: 23, psnrBToA: 25)
        let figure = LearningCurveFigure(series: [LearningCurveSeries(label: "paper", log: log)], baselines: [baseline],
                                         plotWidth: 200, plotHeight: 120, scale: 1)
        let decoded = try decodePNG(figure.image.pngData())
        #expect(decoded == figure.image)
        let image = decoded, l = figure.layout
        let lineColor = LearningCurveFigure.seriesColors[0], baseColor = LearningCurveFigure.baselineColors[0]
        #expect(l.maxSeconds >= 20 && l.yMin <= 20 && l.yMax >= 26)
        for (panel, (from, to)) in [(20.0, 24.0), (22.0, 26.0)].enumerated() {
            // The middle of the segment, and both validations (markers).
            for (t, v) in [(15.0, (from + to) / 2), (10, from), (20, to)] {
                let p = l.pixel(seconds: t, psnr: v, panel: panel)
                #expect(image[p.y, p.x] == lineColor, "panel \(panel) at \(t) s, \(v) dB")
            }
            // Nothing of the line before the first validation or far below it.
            let before = l.pixel(seconds: 5, psnr: from, panel: panel)
            #expect(image[before.y, before.x] != lineColor)
            let below = l.pixel(seconds: 15, psnr: from - 1.5, panel: panel)
            #expect(image[below.y, below.x] != lineColor)
            // The dashed baseline at its value, left of the run (where nothing else is drawn).
            let y = l.pixel(seconds: 0, psnr: panel == 0 ? 23 : 25, panel: panel).y
            let x0 = l.plots[panel].x
            let dashes = (x0 + 2)..<(x0 + 8)
            #expect(dashes.allSatisfy { image[y, $0] == baseColor })
            #expect(image[y - 6, x0 + 4] != baseColor)
        }
        // Text is drawn: the tick labels left of the first panel are not all white.
        let labels = (0..<l.plots[0].x - 4).flatMap { x in (l.plots[0].y..<(l.plots[0].y + 120)).map { image[$0, x] } }
        #expect(labels.contains(SIMD3(0, 0, 0)))
    }

    @Test("the font draws known glyphs and a fallback for others")
    func font() {
        #expect(BitmapFont.glyphs.values.allSatisfy { $0.count == BitmapFont.glyphHeight })
        #expect(BitmapFont.rows(of: "1") == [0b00100, 0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110, 0])
        #expect(BitmapFont.rows(of: "µ") == BitmapFont.rows(of: "?"))
        var image = RGBImage8(width: 12, height: 8, pixels: [UInt8](repeating: 255, count: 12 * 8 * 3))
        BitmapFont.draw("-", into: &image, x: 0, y: 0, scale: 1, color: SIMD3(0, 0, 0))
        #expect((0..<5).allSatisfy { image[3, $0] == SIMD3(0, 0, 0) } && image[2, 0] == SIMD3(255, 255, 255))
        #expect(BitmapFont.width(of: "ab", scale: 2) == 22)
    }

    @Test("a report with a model's training log writes and links the learning curve, with its baselines")
    func reportLinksCurve() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("curve-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let model = root.appendingPathComponent("model")
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        var report = EvaluationReport(results: [
            result("identity", .aToB, 15), result("single-calibration-3x3", .aToB, 23.7), result("anchor-linear3x3", .aToB, 24),
            result("anchor-rootpoly2", .aToB, 24.2), result("identity", .bToA, 16), result("single-calibration-3x3", .bToA, 23.2),
            result("anchor-linear3x3", .bToA, 23.9), result("anchor-rootpoly2", .bToA, 23.5),
        ], pairNames: ["p0", "p1"])
        #expect(try report.attachLearningCurve(modelDirectory: model) == false, "no log, no curve")
        #expect(report.learningCurve == nil)
        try TrainingLog(entries: [TrainingLogEntry(step: 10, seconds: 5, loss: 0.1, psnrAToB: 22, psnrBToA: 21)]).write(to: model)
        #expect(try report.attachLearningCurve(modelDirectory: model, label: "paper run"))
        let curve = try #require(report.learningCurve)
        #expect(curve.series.map(\.label) == ["paper run"])
        #expect(curve.baselines == [LearningCurveBaseline(label: "single-calibration-3x3", psnrAToB: 23.7, psnrBToA: 23.2),
                                    LearningCurveBaseline(label: "best anchor least squares", psnrAToB: 24.2, psnrBToA: 23.9)])
        let out = root.appendingPathComponent("report")
        let files = try report.write(to: out)
        #expect(files.contains(out.appendingPathComponent("figures/learning-curve.png")))
        let md = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(md.contains("## Learning curve") && md.contains("![learning curve](figures/learning-curve.png)"))
        let png = try decodePNG(Data(contentsOf: out.appendingPathComponent("figures/learning-curve.png")))
        #expect(png == curve.image)
    }
}
