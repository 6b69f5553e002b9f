import ArgumentParser
import Evaluation
import Foundation
import Raw2RawModel
import RawIO
import RawSynthesis

/// `raw2raw quality`: the quality suite, a benchmark of the default model on many simulated camera pairs.
struct QualityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quality",
        abstract: "The quality suite: the default model against every baseline and two oracles on eight simulated camera pairs.",
        discussion: """
            For every pair (--list shows them): synthesizes a dataset (60 unpaired images per camera, 8 or 22 \
            anchor pairs, 30 test pairs, 128x96 packed) into OUT/data/PAIR, trains the default model once per \
            --seeds seed into OUT/models/PAIR/seed-N (--steps steps), trains the ablation variants (first seed, \
            0 steps) and evaluates everything in both directions with the oracles. Writes OUT/quality.md and \
            OUT/quality.json: per pair and direction the best baseline, the learned model (every seed), its \
            margin, the two oracles (they use the test targets: upper bounds, not methods) and the ablation. \
            Rerunning resumes: datasets, trained models and evaluations already there are kept.
            """)

    @Option(name: .long, help: "Folder for the datasets, models, evaluations and the table.")
    var out: String = "raw2raw-quality"

    @Option(name: .long, parsing: .upToNextOption, help: "Training seeds of the default model.")
    var seeds: [UInt64] = [1, 2, 3]

    @Option(name: .long, help: "Training steps of the default model (the demo's budget).")
    var steps: Int = DemoCommand.defaultSteps

    @Option(name: .long, parsing: .upToNextOption, help: "Only these pairs (default: all).")
    var pairs: [String] = []

    @Flag(name: .long, help: "Skip the ablation variants.")
    var noAblation = false

    @Flag(name: .long, help: "List the pairs and exit.")
    var list = false

    func validate() throws {
        guard !seeds.isEmpty, Set(seeds).count == seeds.count else { throw ValidationError("--seeds needs distinct seeds") }
        guard steps >= 0 else { throw ValidationError("--steps must be >= 0") }
        let known = QualityPair.suite.map(\.name)
        for p in pairs where !known.contains(p) {
            throw ValidationError("unknown pair '\(p)'; known: \(known.joined(separator: ", "))")
        }
    }

    func run() throws {
        let chosen = QualityPair.suite.filter { pairs.isEmpty || pairs.contains($0.name) }
        if list {
            for p in chosen {
                say("\(p.name): \(p.summary)\n  A: \(p.cameraA)\n  B: \(p.cameraB)\n  lights: \(p.illuminants.joined(separator: " ")), "
                    + "mixtures \(p.mixtureProbability), \(p.anchors) anchor pairs, seed \(p.seed)")
            }
            return
        }
        let root = URL(fileURLWithPath: out)
        let data = try SpectralData.bundled()
        let variants = noAblation ? [] : QualityVariant.ablation
        let units = chosen.count * (seeds.count + variants.count)
        var done = 0
        let start = Date()
        func progress(_ text: String) {
            let elapsed = Date().timeIntervalSince(start)
            let eta = done > 0 ? elapsed / Double(done) * Double(units - done) : 0
            say("[\(done)/\(units) trainings, \(ProgressLine.duration(elapsed)) elapsed, ETA \(done > 0 ? ProgressLine.duration(eta) : "?")] \(text)")
        }
        var rows: [QualityRow] = []
        for pair in chosen {
            let config = try pair.datasetConfiguration(data)
            let a = config.cameraA.name, b = config.cameraB.name
            let datasetURL = root.appendingPathComponent("data").appendingPathComponent(pair.name)
            progress("\(pair.name): dataset \(datasetURL.path)")
            _ = try SyntheticDatasetGenerator(configuration: config, data: data).generate(into: datasetURL) { _ in }
            let layout = try DatasetLayout(root: datasetURL)
            let trainingData = try TrainingData(layout: layout, cameraA: a, cameraB: b)

            var models: [(name: String, url: URL)] = []
            for seed in seeds {
                var c = TrainingConfiguration.default
                c.optimization.steps = steps
                c.seed = seed
                let url = root.appendingPathComponent("models/\(pair.name)/seed-\(seed)")
                try train(c, data: trainingData, into: url, label: "\(pair.name) seed \(seed)", progress: progress)
                done += 1
                models.append(("learned-s\(seed)", url))
            }
            for v in variants {
                var c = TrainingConfiguration.default
                c.optimization.steps = steps
                c.seed = seeds[0]
                v.configure(&c)
                let url = root.appendingPathComponent("models/\(pair.name)/\(v.name)")
                try train(c, data: trainingData, into: url, label: "\(pair.name) \(v.name)", progress: progress)
                done += 1
                models.append((v.name, url))
            }

            let reportURL = root.appendingPathComponent("reports/\(pair.name)")
            progress("\(pair.name): evaluating \(models.count) models, the baselines and the oracles on \(QualityPair.tests) test pairs")
            // Identity, the baselines and the oracles, from one read of the anchor pairs.
            var methods = try Evaluator.standardMethods(layout: layout, cameraA: a, cameraB: b, oracles: true)
            for m in models {
                let network = try Raw2RawNetwork(contentsOf: m.url)
                methods.append(try .learned(network, cameraA: a, cameraB: b, name: m.name))
            }
            let report = try Evaluator(methods: methods, figurePairs: 0).evaluate(try layout.testPairs(cameraA: a, cameraB: b))
            try report.write(to: reportURL, title: "raw2raw quality suite: \(pair.name)",
                             notes: ["\(pair.summary).", "A = `\(pair.cameraA)`, B = `\(pair.cameraB)`."])
            rows += Self.rows(pair: pair, cameraA: a, cameraB: b, report: report, seeds: seeds, variants: variants.map(\.name))
        }
        let table = QualityTable(rows: rows, seeds: seeds, steps: steps, pairs: chosen, command: commandLine,
                                 seconds: Date().timeIntervalSince(start))
        try table.write(to: root)
        say("")
        say(table.markdown())
        say("table: \(root.appendingPathComponent("quality.md").path), \(root.appendingPathComponent("quality.json").path)")
    }

    /// The command that reproduces this run.
    var commandLine: String {
        var parts = ["raw2raw quality --out \(out)"]
        if seeds != [1, 2, 3] { parts.append("--seeds " + seeds.map(String.init).joined(separator: " ")) }
        if steps != DemoCommand.defaultSteps { parts.append("--steps \(steps)") }
        if !pairs.isEmpty { parts.append("--pairs " + pairs.joined(separator: " ")) }
        if noAblation { parts.append("--no-ablation") }
        return parts.joined(separator: " ")
    }

    /// Trains `configuration` into `url` unless a complete model of that many steps is there; resumes otherwise.
    func train(_ configuration: TrainingConfiguration, data: TrainingData, into url: URL, label: String,
               progress: (String) -> Void) throws {
        if let done = try? Raw2RawNetwork.readDescription(url), let record = done.training, record.steps == configuration.optimization.steps,
           record.configuration == configuration {
            progress("\(label): complete, kept")
            return
        }
        progress("\(label): training \(configuration.optimization.steps) steps")
        let trainer = try Trainer(configuration: configuration, data: data, modelDirectory: url, resume: true)
        for note in trainer.notes where note.hasPrefix("base ") || note.hasPrefix("target exposure") { say("  " + note) }
        try trainer.run()
    }

    /// The table rows of one pair's report.
    static func rows(pair: QualityPair, cameraA: String, cameraB: String, report: EvaluationReport, seeds: [UInt64],
                     variants: [String]) -> [QualityRow] {
        var rows: [QualityRow] = []
        let baselines = [BaselineMethods.singleCalibrationName] + BaselineMethods.anchorKinds.map(BaselineMethods.anchorName)
        for direction in MappingDirection.allCases {
            let candidates = baselines.compactMap { report.result(method: $0, direction: direction) }
            guard let best = candidates.max(by: { $0.psnr < $1.psnr }) else { continue }
            let learned = seeds.compactMap { report.result(method: "learned-s\($0)", direction: direction) }
            guard learned.count == seeds.count else { continue }
            let margins = learned.map { $0.psnr - best.psnr }
            var variantPSNR: [String: Double] = [:]
            for v in variants { variantPSNR[v] = report.result(method: v, direction: direction)?.psnr }
            let name = direction == .aToB ? "\(cameraA)->\(cameraB)" : "\(cameraB)->\(cameraA)"
            rows.append(QualityRow(
                pair: pair.name, direction: name, bestBaseline: best.method, bestBaselinePSNR: best.psnr,
                bestBaselineAngularError: best.angularErrorMean, learnedPSNR: learned.map(\.psnr),
                learnedAngularError: learned.map(\.angularErrorMean), worstMargin: margins.min()!,
                meanMargin: margins.reduce(0, +) / Double(margins.count),
                oracleExposurePSNR: report.result(method: OracleMethods.alignedGainName(.rootPolynomial2), direction: direction)?.psnr,
                oraclePerImagePSNR: report.result(method: OracleMethods.perImageLinear4x4Name, direction: direction)?.psnr,
                variants: variantPSNR))
        }
        return rows
    }
}

/// The quality suite's table: every pair and direction, and the suite's summary.
struct QualityTable: Codable {
    /// Every pair and direction.
    var rows: [QualityRow]
    /// The default model's training seeds.
    var seeds: [UInt64]
    /// Its training steps.
    var steps: Int
    /// The pairs as specified.
    var pairSpecifications: [[String: String]]
    /// The command that made the table.
    var command: String
    /// Wall-clock seconds of the run (what was kept from an earlier run is not counted).
    var seconds: Double
    /// Suite means and counts.
    var summary: Summary

    /// The suite's summary.
    struct Summary: Codable {
        /// Rows (pairs x directions).
        var rows: Int
        /// Rows where every seed's learned PSNR is at least the best baseline's minus 0.05 dB.
        var rowsNeverLosing: Int
        /// The worst margin over every row and seed (dB).
        var worstMargin: Double
        /// The mean margin over rows and seeds (dB).
        var meanMargin: Double
        /// Mean over rows of the learned PSNR (mean over seeds), of the best baseline, and of the oracles (dB).
        var meanLearnedPSNR: Double
        var meanBestBaselinePSNR: Double
        var meanOracleExposurePSNR: Double?
        var meanOraclePerImagePSNR: Double?
        /// Mean over rows of each ablation variant's PSNR (dB).
        var meanVariantPSNR: [String: Double]
    }

    init(rows: [QualityRow], seeds: [UInt64], steps: Int, pairs: [QualityPair], command: String, seconds: Double) {
        self.rows = rows
        self.seeds = seeds
        self.steps = steps
        self.command = command
        self.seconds = seconds
        pairSpecifications = pairs.map {
            ["name": $0.name, "summary": $0.summary, "cameraA": $0.cameraA, "cameraB": $0.cameraB,
             "illuminants": $0.illuminants.joined(separator: " "), "mixtureProbability": "\($0.mixtureProbability)",
             "anchors": "\($0.anchors)", "seed": "\($0.seed)"]
        }
        func mean(_ v: [Double]) -> Double { v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count) }
        let oracleE = rows.compactMap(\.oracleExposurePSNR), oracleP = rows.compactMap(\.oraclePerImagePSNR)
        var variantMeans: [String: Double] = [:]
        for name in Set(rows.flatMap { $0.variants.keys }) { variantMeans[name] = mean(rows.compactMap { $0.variants[name] }) }
        summary = Summary(
            rows: rows.count, rowsNeverLosing: rows.filter { $0.worstMargin >= -0.05 }.count,
            worstMargin: rows.map(\.worstMargin).min() ?? .nan, meanMargin: mean(rows.map(\.meanMargin)),
            meanLearnedPSNR: mean(rows.map { mean($0.learnedPSNR) }), meanBestBaselinePSNR: mean(rows.map(\.bestBaselinePSNR)),
            meanOracleExposurePSNR: oracleE.count == rows.count ? mean(oracleE) : nil,
            meanOraclePerImagePSNR: oracleP.count == rows.count ? mean(oracleP) : nil,
            meanVariantPSNR: variantMeans)
    }

    static func f(_ v: Double?, _ digits: Int = 2, signed: Bool = false) -> String {
        guard let v, v.isFinite else { return "–" }
        return (signed && v >= 0 ? "+" : "") + String(format: "%.\(digits)f", v)
    }

    /// The table in Markdown: one row per pair and direction, then the summary.
    func markdown() -> String {
        let variantNames = rows.first.map { $0.variants.keys.sorted() } ?? []
        var lines = [
            "| pair | direction | best baseline | PSNR (dB) | ° | learned PSNR, seeds \(seeds.map(String.init).joined(separator: "/")) | ° (seed \(seeds[0])) "
                + "| worst margin | oracle: exposure | oracle: per-image 4x4 |" + variantNames.map { " \($0) |" }.joined(),
            "|---|---|---|---:|---:|---:|---:|---:|---:|---:|" + String(repeating: "---:|", count: variantNames.count),
        ]
        for r in rows {
            let learned = r.learnedPSNR.map { Self.f($0) }.joined(separator: " / ")
            lines.append("| \(r.pair) | \(r.direction) | \(r.bestBaseline) | \(Self.f(r.bestBaselinePSNR)) | \(Self.f(r.bestBaselineAngularError, 3)) "
                         + "| \(learned) | \(Self.f(r.learnedAngularError.first ?? nil, 3)) | \(Self.f(r.worstMargin, signed: true)) "
                         + "| \(Self.f(r.oracleExposurePSNR)) | \(Self.f(r.oraclePerImagePSNR)) |"
                         + variantNames.map { " \(Self.f(r.variants[$0])) |" }.joined())
        }
        let s = summary
        lines.append("")
        lines.append("- Learned never below the best baseline by more than 0.05 dB (every seed): \(s.rowsNeverLosing) of \(s.rows) rows; "
                     + "worst margin \(Self.f(s.worstMargin, signed: true)) dB, mean margin \(Self.f(s.meanMargin, signed: true)) dB.")
        lines.append("- Suite means: learned \(Self.f(s.meanLearnedPSNR)) dB, best baseline \(Self.f(s.meanBestBaselinePSNR)) dB, "
                     + "oracle exposure \(Self.f(s.meanOracleExposurePSNR)) dB, oracle per-image 4x4 \(Self.f(s.meanOraclePerImagePSNR)) dB"
                     + (s.meanVariantPSNR.isEmpty ? "" : "; " + s.meanVariantPSNR.keys.sorted().map { "\($0) \(Self.f(s.meanVariantPSNR[$0]))" }.joined(separator: ", ")) + ".")
        lines.append("- Oracles use the test targets (an exposure-aligned anchor root-polynomial 2 fit with the best gain per image; a 4x4 fitted on each test pair): upper bounds, not methods.")
        lines.append("- Made by `\(command)` (\(steps) training steps) in \(ProgressLine.duration(seconds)).")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes `quality.md` and `quality.json` into `folder` (each to a temporary name, then renamed).
    func write(to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try AtomicFileWriter.write(try encoder.encode(self), to: folder.appendingPathComponent("quality.json"))
        try AtomicFileWriter.write(Data(markdown().utf8), to: folder.appendingPathComponent("quality.md"))
    }
}
