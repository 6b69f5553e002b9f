import ArgumentParser
import Evaluation
import Foundation
import Raw2RawModel
import RawIO

/// `raw2raw evaluate`: compares every mapping method on a dataset's test pairs, both directions.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Compare identity, single calibration, the anchor least-squares fits and a trained model on the test pairs.",
        discussion: """
            DIR has the paper's layout: paired/<camera>/anchor-raw-rggb/ (the baselines are fitted there) and \
            paired/<camera>/raw-rggb/ (the test pairs). Methods: identity; single-calibration-3x3 (a 3x3 on the \
            first anchor pair by name); anchor-linear3x3, anchor-linear4x4, anchor-poly16, anchor-rootpoly2 (fitted \
            on all anchor pairs); and 'learned' with --model. Metrics per image (PSNR, MAE, mean and median angular \
            error), then mean over images. Prints a Markdown table, or JSON with --json; --out writes report.md, \
            results.json and figures, with figures/learning-curve.png when the model folder holds a training log \
            (training-log.csv: validation PSNR against training time, the single calibration and the best anchor \
            fit of this evaluation as horizontal lines; raw2raw curve compares several models). Progress goes to \
            standard error.

            --cameras a,b,c evaluates every pair of the cameras that shares test scenes, both ways, with \
            'direction' written as a->c from the camera folder names. A pair that shares anchor scenes gets the \
            baselines above; a pair that shares none gets least-squares chains through the cameras that connect \
            them (shortest path), named with -chain (single-calibration-3x3-chain, anchor-rootpoly2-chain, ...), \
            and --model is then a multi-camera model (raw2raw train --cameras).

            --oracles adds two upper bounds that cheat by looking at each test target, marked as oracles \
            ("oracle": true in JSON, "(oracle: uses the test target)" in the table) and never counted as a \
            baseline: oracle-aligned-rootpoly2-gain (a root-polynomial fitted on the anchors with one free \
            exposure gain per anchor pair, applied unclipped, times the per-image gain that best fits the target \
            on pixels where no channel of source or target reaches 0.98, then clipped) bounds a perfect exposure \
            predictor on top of a global colour fit; oracle-per-image-4x4 (a 4x4 fitted on the test pair itself) \
            bounds any per-image global linear mapping.
            """)

    @Option(name: .long, help: "The dataset folder.")
    var dataset: String

    @OptionGroup var cameras: CameraSelection

    @Option(name: .long, help: "A trained model folder (from raw2raw train) to evaluate as 'learned'.")
    var model: String?

    @Flag(name: .long, help: "Print the results as JSON instead of a Markdown table.")
    var json = false

    @Option(name: .long, help: "A folder for report.md, results.json and figures.")
    var out: String?

    @Option(name: .long, help: "How many test pairs get a figure (with --out).")
    var figures = 3

    @Flag(name: .long, help: "No progress output.")
    var quiet = false

    @Flag(name: .long, help: "Add the oracle rows: upper bounds that use the test targets (described above).")
    var oracles = false

    func validate() throws {
        guard figures >= 0 else { throw ValidationError("--figures must be >= 0") }
        let (_, multi) = try cameras.resolved()
        guard !(multi && oracles) else { throw ValidationError("--oracles goes with --camera-a/--camera-b only") }
    }

    func run() throws {
        let (names, multi) = try cameras.resolved()
        if multi { return try runMultiCamera(names) }
        let cameraA = names[0], cameraB = names[1]
        let report = try EvaluationRun(dataset: URL(fileURLWithPath: dataset), cameraA: cameraA, cameraB: cameraB,
                                       model: model.map { URL(fileURLWithPath: $0) },
                                       figurePairs: out == nil ? 0 : figures, quiet: quiet, oracles: oracles).run()
        if json {
            FileHandle.standardOutput.write(report.jsonData())
            print("")
        } else {
            print(report.markdownTable(), terminator: "")
        }
        if let out {
            let url = URL(fileURLWithPath: out)
            let notes = ["Dataset `\(dataset)`, cameras A = `\(cameraA)`, B = `\(cameraB)`"
                         + (model.map { ", model `\($0)`" } ?? "") + ".",
                         "Made by `raw2raw evaluate --dataset \(dataset) --camera-a \(cameraA) --camera-b \(cameraB)"
                         + (model.map { " --model \($0)" } ?? "") + (oracles ? " --oracles" : "") + " --out \(out)`."]
            try report.write(to: url, notes: notes)
            if !quiet { printError("report: \(url.appendingPathComponent("report.md").path)") }
        }
    }
}

extension EvaluateCommand {
    /// `--cameras`: every pair of cameras that shares test scenes, both ways.
    func runMultiCamera(_ names: [String]) throws {
        let layout = try DatasetLayout(root: URL(fileURLWithPath: dataset))
        var multi: MultiCameraModel?
        if let model {
            let folder = URL(fileURLWithPath: model)
            guard MultiCameraModel.isMultiCameraModel(folder) else {
                throw ValidationError("\(model) is not a multi-camera model (no cameras.json): train it with --cameras")
            }
            multi = try MultiCameraModel(contentsOf: folder)
        }
        let quiet = self.quiet
        if !quiet { printError("evaluating every pair of \(names.joined(separator: ", ")) that shares test scenes") }
        let start = Date()
        let evaluation = try MultiCameraEvaluation.run(layout: layout, cameras: names, model: multi) { a, b, p in
            guard !quiet, p.completedPairs == p.totalPairs else { return }
            printError(String(format: "  %@/%@: %d test pairs (%.1f s)", a, b, p.totalPairs, Date().timeIntervalSince(start)))
        }
        if json {
            FileHandle.standardOutput.write(evaluation.jsonData())
            print("")
        } else {
            print(evaluation.markdownTable(), terminator: "")
            if multi != nil { for line in evaluation.bestBaselineComparison() { print(line) } }
        }
        if let out {
            let url = URL(fileURLWithPath: out)
            let command = "raw2raw evaluate --dataset \(dataset) --cameras \(names.joined(separator: ","))"
                + (model.map { " --model \($0)" } ?? "") + " --out \(out)"
            try evaluation.write(to: url, notes: ["Made by `\(command)`."])
            if !quiet { printError("report: \(url.appendingPathComponent("report.md").path)") }
        }
    }
}

/// The shared work of `evaluate` and `demo`: open the dataset, build the methods, evaluate.
struct EvaluationRun {
    var dataset: URL
    var cameraA: String
    var cameraB: String
    var model: URL?
    var figurePairs: Int
    var quiet: Bool
    /// Whether to add the oracle rows (`evaluate --oracles`); the demo leaves them out.
    var oracles = false

    func run() throws -> EvaluationReport {
        let layout = try DatasetLayout(root: dataset)
        let tests = try layout.testPairs(cameraA: cameraA, cameraB: cameraB)
        for w in tests.warnings { printError("warning: \(w)") }
        if !quiet { printError("fitting the baselines\(oracles ? " and the oracles" : "") on the anchor pairs...") }
        if let model, !Raw2RawNetwork.recordsChecksums(model), FileManager.default.fileExists(atPath: model.path),
           let warning = ModelIntegrity.unverified(folder: model.path).warning {
            printError("warning: \(warning)")
        }
        let methods = try Evaluator.standardMethods(layout: layout, cameraA: cameraA, cameraB: cameraB, modelDirectory: model,
                                                    oracles: oracles)
        if !quiet {
            printError("evaluating \(methods.map(\.name).joined(separator: ", ")) on \(tests.count) test pairs, both directions")
        }
        let quiet = self.quiet
        let start = Date()
        var report = try Evaluator(methods: methods, figurePairs: figurePairs).evaluate(tests) { p in
            guard !quiet else { return }
            if p.completedPairs == p.totalPairs || p.completedPairs % max(1, p.totalPairs / 10) == 0 {
                printError(String(format: "  %d/%d test pairs (%.1f s)", p.completedPairs, p.totalPairs, Date().timeIntervalSince(start)))
            }
        }
        if let model {
            do {
                try report.attachLearningCurve(modelDirectory: model, label: CurveCommand.label(of: model))
            } catch {
                printError("warning: no learning curve: \(error.description)")
            }
        }
        return report
    }
}

