import ArgumentParser
import Evaluation
import Foundation
import Raw2RawModel
import RawIO

/// `raw2raw curve`: draws the learning curves of several model folders in one figure.
struct CurveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "curve",
        abstract: "Draw the learning curves (validation PSNR against training time) of model folders as one PNG.",
        discussion: """
            Each --model folder must hold the training log raw2raw train writes (training-log.csv: one line per \
            validation with the step, the training seconds, the loss and the mean validation PSNR per direction). \
            The figure has one panel per direction (A->B, B->A) and one line per model, labelled with the folder's \
            name and its preset (or --label, once per --model, in order). With --dataset, --camera-a and --camera-b \
            the single calibration and the best anchor least-squares fit are fitted on the dataset's anchor pairs, \
            measured on its test pairs and drawn as dashed horizontal lines. Prints one line per model with its \
            last validation.
            """)

    @Option(name: .long, help: "A model folder with a training log (repeat for several).")
    var model: [String]

    @Option(name: .long, help: "The legend label of each --model, in order (default: folder name and preset).")
    var label: [String] = []

    @Option(name: .long, help: "A dataset folder whose baselines are drawn as horizontal lines.")
    var dataset: String?

    @Option(name: .customLong("camera-a"), help: "The first camera's folder name (with --dataset).")
    var cameraA: String?

    @Option(name: .customLong("camera-b"), help: "The second camera's folder name (with --dataset).")
    var cameraB: String?

    @Option(name: [.short, .customLong("output")], help: "The PNG file to write.")
    var output: String

    func validate() throws {
        guard !model.isEmpty else { throw ValidationError("give at least one --model") }
        guard label.isEmpty || label.count == model.count else {
            throw ValidationError("give no --label or one per --model (\(model.count))")
        }
        if dataset != nil && (cameraA == nil || cameraB == nil) {
            throw ValidationError("--dataset needs --camera-a and --camera-b")
        }
    }

    func run() throws {
        var series: [LearningCurveSeries] = []
        for (i, path) in model.enumerated() {
            let url = URL(fileURLWithPath: path)
            guard let log = try TrainingLog.read(from: url), let last = log.entries.last else {
                throw TrainCommandError("\(path): no training log (\(TrainingLog.fileName)) with an entry; train with validation "
                                        + "(validationInterval > 0) to record one")
            }
            let name = label.isEmpty ? Self.label(of: url) : label[i]
            series.append(LearningCurveSeries(label: name, log: log))
            print(String(format: "%@: %d validations, last at step %d after %@: A->B %.2f dB, B->A %.2f dB",
                         name, log.entries.count, last.step, ProgressLine.duration(last.seconds), last.psnrAToB, last.psnrBToA))
        }
        var baselines: [LearningCurveBaseline] = []
        if let dataset, let cameraA, let cameraB {
            let report = try EvaluationRun(dataset: URL(fileURLWithPath: dataset), cameraA: cameraA, cameraB: cameraB, model: nil,
                                           figurePairs: 0, quiet: true).run()
            baselines = LearningCurveBaseline.standard(from: report)
            for b in baselines {
                print(String(format: "%@ on %d test pairs: A->B %.2f dB, B->A %.2f dB", b.label, report.pairNames.count,
                             b.psnrAToB, b.psnrBToA))
            }
        }
        let figure = LearningCurveFigure(series: series, baselines: baselines)
        try figure.image.writePNG(to: URL(fileURLWithPath: output))
        print("learning curve: \(output)")
    }

    /// The default legend label of a model folder: its name, and its preset when the folder
    /// holds a finished model (`r2 (paper)`).
    static func label(of folder: URL) -> String {
        let name = folder.standardizedFileURL.lastPathComponent
        guard let description = try? Raw2RawNetwork.readDescription(folder) else { return name }
        return "\(name) (\(description.configuration.preset))"
    }
}
