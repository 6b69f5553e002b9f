import Calibration
import Foundation
import Raw2RawModel
import RawSupport
import RawIO

/// The outcome of an evaluation: one ``EvaluationResult`` per method and direction, and figures.
///
/// Render it as a Markdown table (``markdownTable()``), as JSON (``jsonData(includePerImage:)``,
/// `{"results": [{"method", "direction", "psnr", "mae", "angularErrorMean", "angularErrorMedian", ...}]}`),
/// or write a report folder (``write(to:title:notes:)``).
///
/// Oracle rows (``EvaluationResult/isOracle``: methods that use the test target, see
/// ``OracleMethods``) are marked in the table and the JSON, and are left out of the best value in
/// bold and of every "best baseline" comparison.
public struct EvaluationReport: Sendable {
    /// The results, direction by direction, methods in evaluation order.
    public var results: [EvaluationResult]
    /// The test pairs' names, in order.
    public var pairNames: [String]
    /// The figures of the first few pairs.
    public var figures: [EvaluationFigure]
    /// The learned model's learning curve with this evaluation's baselines, when its model folder
    /// holds a `TrainingLog` (see ``attachLearningCurve(modelDirectory:label:)``).
    public var learningCurve: LearningCurveFigure?

    /// Creates a report.
    public init(results: [EvaluationResult], pairNames: [String], figures: [EvaluationFigure] = [],
                learningCurve: LearningCurveFigure? = nil) {
        self.results = results
        self.pairNames = pairNames
        self.figures = figures
        self.learningCurve = learningCurve
    }

    /// Sets ``learningCurve`` from the training log of `modelDirectory`, with the baselines
    /// this report measured (``LearningCurveBaseline/standard(from:)``) as horizontal lines.
    ///
    /// Leaves ``learningCurve`` unchanged and returns `false` when the folder has no log or the
    /// log has no entry.
    /// - Parameters:
    ///   - modelDirectory: the model folder (`TrainingLog.fileName` in it).
    ///   - label: the curve's legend label; by default the folder's name.
    /// - Throws: `ModelError` for a log file that cannot be parsed.
    @discardableResult
    public mutating func attachLearningCurve(modelDirectory: URL, label: String? = nil) throws(ModelError) -> Bool {
        guard let log = try TrainingLog.read(from: modelDirectory), !log.entries.isEmpty else { return false }
        let series = LearningCurveSeries(label: label ?? modelDirectory.lastPathComponent, log: log)
        learningCurve = LearningCurveFigure(series: [series], baselines: LearningCurveBaseline.standard(from: self))
        return true
    }

    /// The result of `method` in `direction`, if evaluated.
    public func result(method: String, direction: MappingDirection) -> EvaluationResult? {
        results.first { $0.method == method && $0.direction == direction }
    }

    /// A Markdown table of the headline metrics, one row per method and direction; the best mean
    /// PSNR of each direction among the methods that are not oracles is in bold.
    ///
    /// An oracle's method name is followed by ``oracleMarker``.
    public func markdownTable() -> String {
        var lines = [
            "| Method | Direction | PSNR mean (dB) | PSNR median (dB) | MAE mean | Angular error mean (°) | Angular error median (°) |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        var best: [MappingDirection: Double] = [:]
        for r in results where !r.psnr.isNaN && !r.isOracle { best[r.direction] = max(best[r.direction] ?? -.infinity, r.psnr) }
        for r in results {
            let psnr = Self.format(r.psnr, digits: 2)
            let psnrCell = !r.isOracle && best[r.direction] == r.psnr ? "**\(psnr)**" : psnr
            let name = r.isOracle ? "\(r.method) \(Self.oracleMarker)" : r.method
            lines.append("| \(name) | \(r.direction) | \(psnrCell) | \(Self.format(r.medianOverImages.psnr, digits: 2)) | "
                         + "\(Self.format(r.mae, digits: 5)) | \(Self.format(r.angularErrorMean, digits: 3)) | "
                         + "\(Self.format(r.angularErrorMedian, digits: 3)) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// How `method` compares in mean PSNR with each of `baselines`, per direction: one sentence each.
    ///
    /// Empty when `method` was not evaluated.
    public func comparison(of method: String, against baselines: [String]) -> [String] {
        var lines: [String] = []
        for direction in MappingDirection.allCases {
            guard let m = result(method: method, direction: direction) else { continue }
            for name in baselines {
                guard let b = result(method: name, direction: direction) else { continue }
                let delta = m.psnr - b.psnr
                let verdict = delta > 0 ? "beats" : (delta == 0 ? "ties with" : "does not beat")
                lines.append("\(direction): \(method) \(verdict) \(name) in mean PSNR: "
                             + "\(Self.format(m.psnr, digits: 2)) vs \(Self.format(b.psnr, digits: 2)) dB "
                             + "(\(delta >= 0 ? "+" : "")\(Self.format(delta, digits: 2)) dB)")
            }
        }
        return lines
    }

    /// What follows an oracle's name in the Markdown table: `(oracle: uses the test target)`.
    public static let oracleMarker = "(oracle: uses the test target)"

    /// One sentence per direction comparing `method` with the strongest of the other methods
    /// (identity and oracles excluded): its mean PSNR against the highest baseline PSNR, and its
    /// mean angular error against the lowest baseline angular error, with the margins.
    public func bestBaselineComparison(of method: String) -> [String] {
        var lines: [String] = []
        for direction in MappingDirection.allCases {
            guard let m = result(method: method, direction: direction) else { continue }
            let others = results.filter {
                $0.direction == direction && $0.method != method && $0.method != EvaluationMethod.identityName && !$0.isOracle
            }
            guard let bestPSNR = others.max(by: { $0.psnr < $1.psnr }) else { continue }
            var line = "\(direction): \(method) \(Self.format(m.psnr, digits: 2)) dB vs the best baseline PSNR, "
                + "\(bestPSNR.method) \(Self.format(bestPSNR.psnr, digits: 2)) dB "
                + "(\(m.psnr - bestPSNR.psnr >= 0 ? "+" : "")\(Self.format(m.psnr - bestPSNR.psnr, digits: 2)) dB)"
            let angled = others.filter { $0.angularErrorMean != nil }
            if let ma = m.angularErrorMean, let bestAngle = angled.min(by: { $0.angularErrorMean! < $1.angularErrorMean! }),
               let ba = bestAngle.angularErrorMean {
                line += "; mean angular error \(Self.format(ma, digits: 3))° vs the lowest, \(bestAngle.method) "
                    + "\(Self.format(ba, digits: 3))° (\(ma - ba >= 0 ? "+" : "")\(Self.format(ma - ba, digits: 3))°)"
            }
            lines.append(line)
        }
        return lines
    }

    /// One sentence per direction and oracle saying how far `method` is below (or above) the
    /// oracle in mean PSNR, e.g. `A->B: learned 30.00 dB is 4.20 dB below
    /// oracle-per-image-4x4 (34.20 dB)`.
    ///
    /// Empty when `method` was not evaluated or the report has no oracle rows.
    public func oracleComparison(of method: String) -> [String] {
        var lines: [String] = []
        for direction in MappingDirection.allCases {
            guard let m = result(method: method, direction: direction) else { continue }
            for o in results where o.direction == direction && o.isOracle && o.method != method {
                let gap = o.psnr - m.psnr
                let position = gap >= 0 ? "below" : "above"
                lines.append("\(direction): \(method) \(Self.format(m.psnr, digits: 2)) dB is \(Self.format(Swift.abs(gap), digits: 2)) dB "
                             + "\(position) \(o.method) (\(Self.format(o.psnr, digits: 2)) dB)")
            }
        }
        return lines
    }

    /// The report as JSON: `{"results": [...]}`, keys sorted, pretty-printed.
    ///
    /// Every result carries `method`, `direction` (`"A->B"` or `"B->A"`), `imageCount`, `psnr`,
    /// `mae`, `angularErrorMean`, `angularErrorMedian` (means over images; `null` when no pixel
    /// qualifies for the angle), `medianOverImages` and `summary` (Calibration's
    /// `MetricSummary`), and with `includePerImage` a `perImage` object keyed by pair name.
    /// Oracle rows also carry `"oracle": true`; other rows have no `oracle` key.
    /// Non-finite numbers (an exact prediction's infinite PSNR) are written as the strings
    /// `"Infinity"`, `"-Infinity"` and `"NaN"`.
    public func jsonData(includePerImage: Bool = false) -> Data {
        struct Document: Encodable { var results: [EvaluationResult] }
        var rows = results
        if !includePerImage { for i in rows.indices { rows[i].perImage = nil } }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        // Encoding plain numbers, strings and dictionaries cannot fail.
        return try! encoder.encode(Document(results: rows))
    }

    /// Writes `report.md`, `results.json` (with per-image metrics) and the figures
    /// (`figures/<pair>_A-to-B.png`, ..., and `figures/learning-curve.png` with a
    /// ``learningCurve``) into `folder`, creating it if needed. Every file is written to a
    /// temporary name in its folder and renamed.
    /// - Parameters:
    ///   - folder: the report folder.
    ///   - title: the Markdown title.
    ///   - notes: paragraphs written after the title (dataset, model, command).
    /// - Returns: the files written.
    /// - Throws: ``EvaluationError/writeFailed(path:reason:)``.
    @discardableResult
    public func write(to folder: URL, title: String = "raw2raw evaluation", notes: [String] = []) throws(EvaluationError) -> [URL] {
        let figureFolder = folder.appendingPathComponent("figures", isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: figures.isEmpty && learningCurve == nil ? folder : figureFolder,
                                                    withIntermediateDirectories: true)
        } catch {
            throw .writeFailed(path: folder.path, reason: "cannot create the folder: \(error.localizedDescription)")
        }
        var written: [URL] = []
        for f in figures {
            let url = figureFolder.appendingPathComponent(f.fileName)
            do { try f.image.writePNG(to: url) } catch { throw .writeFailed(path: url.path, reason: error.description) }
            written.append(url)
        }
        if let curve = learningCurve {
            let url = figureFolder.appendingPathComponent(LearningCurveFigure.fileName)
            do { try curve.image.writePNG(to: url) } catch { throw .writeFailed(path: url.path, reason: error.description) }
            written.append(url)
        }
        let json = folder.appendingPathComponent("results.json")
        try Self.writeAtomically(jsonData(includePerImage: true), to: json)
        written.append(json)
        let md = folder.appendingPathComponent("report.md")
        try Self.writeAtomically(Data(markdown(title: title, notes: notes).utf8), to: md)
        written.append(md)
        return written
    }

    /// The Markdown text of `report.md`.
    public func markdown(title: String = "raw2raw evaluation", notes: [String] = []) -> String {
        var text = "# \(title)\n\n"
        for n in notes { text += n + "\n\n" }
        let methods = results.reduce(into: [String]()) { if !$0.contains($1.method) { $0.append($1.method) } }
        text += "\(pairNames.count) test pairs; methods: \(methods.joined(separator: ", ")). "
        text += "PSNR, MAE and angular error on the packed raw (R, Gr, Gb, B in [0, 1]); per image, then mean "
        text += "(and for PSNR also median) over images. The angular error compares (R, mean of the greens, B) "
        text += "per pixel, leaving out near-black pixels; \"mean\" and \"median\" are per image, averaged over images.\n\n"
        text += markdownTable() + "\n"
        let oracles = methods.filter { name in results.contains { $0.method == name && $0.isOracle } }
        if !oracles.isEmpty {
            text += "Rows marked \(Self.oracleMarker) are oracles: \(oracles.joined(separator: ", ")). They look at the test "
            text += "target itself, so they are upper bounds rather than methods, and they are left out of the best value "
            text += "in bold and of the comparisons with the baselines.\n\n"
        }
        let baselines = [BaselineMethods.singleCalibrationName, BaselineMethods.anchorName(.linear3x3)]
        if let learned = methods.first(where: { $0 == "learned" }) {
            text += "## The paper's central claim\n\n"
            text += "The learned model should beat the single calibration and the anchor linear 3x3 in mean PSNR in both directions.\n\n"
            for line in comparison(of: learned, against: baselines) { text += "- " + line + "\n" }
            text += "\n"
            let best = bestBaselineComparison(of: learned)
            if !best.isEmpty {
                text += "## Against the strongest baseline\n\n"
                for line in best { text += "- " + line + "\n" }
                text += "\n"
            }
            let bounds = oracleComparison(of: learned)
            if !bounds.isEmpty {
                text += "## Below the oracles\n\n"
                text += "How far the learned model is from the upper bounds that use the test target.\n\n"
                for line in bounds { text += "- " + line + "\n" }
                text += "\n"
            }
        }
        if let curve = learningCurve {
            text += "## Learning curve\n\n"
            text += "Mean validation PSNR of the learned model during training against its training time (seconds spent in "
            text += "training steps, over every session of a resumed run), from the model folder's `\(TrainingLog.fileName)`: "
            text += "one point per validation (\(curve.series.map { "\($0.log.entries.count) for \($0.label)" }.joined(separator: ", "))). "
            text += "Validation maps centre crops of the first test pairs (8 by default, the trainer's validationPairs)"
            if !curve.baselines.isEmpty {
                text += "; the dashed lines (\(curve.baselines.map(\.label).joined(separator: ", "))) are the baselines' mean PSNR "
                text += "on all \(pairNames.count) test pairs of this evaluation, so curve and lines are measured on close but not "
                text += "identical sets"
            }
            text += ".\n\n"
            text += "![learning curve](figures/\(LearningCurveFigure.fileName))\n\n"
        }
        if !figures.isEmpty {
            text += "## Figures\n\n"
            text += "Each figure has two rows. Top, left to right: \(figures[0].columns.joined(separator: ", ")). "
            text += "Bottom: under each method, its per-pixel error against the target (mean absolute error of the four "
            text += "packed channels; black is 0, pale yellow is the top of the scale given per figure); under the source and the target, "
            text += "the colour scale from 0 (left) to the top (right). Pictures: greens averaged, x0.9, gamma 1/1.6, "
            text += "no white balance (the sensors' own colours).\n\n"
            for f in figures {
                text += "- \(f.pair) (\(f.direction)), error scale 0 to \(f.errorScale): ![\(f.pair) \(f.direction)](figures/\(f.fileName))\n"
            }
        }
        return text
    }

    static func format(_ v: Double?, digits: Int) -> String {
        guard let v else { return "n/a" }
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        return String(format: "%.\(digits)f", v)
    }

    static func writeAtomically(_ data: Data, to url: URL) throws(EvaluationError) {
        try AtomicFile.write(data, to: url) { EvaluationError.writeFailed(path: $0.path, reason: $0.reason) }
    }
}
