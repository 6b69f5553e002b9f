import ArgumentParser
import Evaluation
import Foundation
import Raw2RawModel
import RawIO
import RawSynthesis

/// `raw2raw demo`: synthesizes a two-camera dataset, trains the model, evaluates every method.
struct DemoCommand: ParsableCommand {
    /// Training steps of the demo: chosen so the whole demo stays near 5 minutes on 2 cores
    /// in a release build (see the README).
    static let defaultSteps = 400

    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "The whole idea in one command: synthesize two cameras' raw images, train, evaluate every method.",
        discussion: """
            1. Synthesizes a small dataset with the spectral simulator into OUT/dataset (an iPhone-X-like and a \
            Galaxy-S9-like camera; 60 unpaired images per camera, 8 anchor pairs, 30 test pairs, 128x96 packed).
            2. Trains the network (the default configuration, --steps steps) into OUT/model.
            3. Evaluates identity, single calibration, the anchor least-squares fits and the trained model on the \
            test pairs in both directions, and writes OUT/report (report.md, results.json, figures, and the learning \
            curve from OUT/model/training-log.csv: validation PSNR against training time, baselines as dashed lines).
            Rerunning resumes: existing dataset files are kept, training continues from its newest checkpoint \
            (or is skipped when the model is complete).
            """)

    @Option(name: .long, help: "Folder for the demo's dataset, model and report.")
    var out: String = "raw2raw-demo"

    @Option(name: .long, help: "Training steps.")
    var steps: Int = DemoCommand.defaultSteps

    @Option(name: .long, help: "The seed of the dataset and of training.")
    var seed: UInt64 = 1

    func validate() throws {
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1") }
    }

    func run() throws {
        let root = URL(fileURLWithPath: out)
        let datasetURL = root.appendingPathComponent("dataset"), modelURL = root.appendingPathComponent("model")
        let reportURL = root.appendingPathComponent("report")
        let cameraA = "iphonex-like", cameraB = "s9-like"
        let start = Date()
        func elapsed() -> String { ProgressLine.duration(Date().timeIntervalSince(start)) }

        // 1. Data.
        say("[1/3] synthesizing the dataset into \(datasetURL.path)")
        let data = try SpectralData.bundled()
        var a = CameraModel.iPhoneXLike(data)
        a.name = cameraA
        var b = CameraModel.galaxyS9Like(data)
        b.name = cameraB
        let synth = SyntheticDatasetConfiguration(cameraA: a, cameraB: b, unpairedCount: 60, anchorCount: 8, testCount: 30,
                                                  scenes: SceneConfiguration(width: 128, height: 96), seed: seed, format: .mat)
        var written = 0, kept = 0
        _ = try SyntheticDatasetGenerator(configuration: synth, data: data).generate(into: datasetURL) { p in
            if p.skipped { kept += 1 } else { written += 1 }
            if p.completed % 40 == 0 || p.completed == p.total {
                say("  \(p.completed)/\(p.total) files (\(elapsed()))")
            }
        }
        say("  \(written) files written, \(kept) kept; 60 unpaired images per camera, 8 anchor pairs, 30 test pairs, 128x96 packed")

        // 2. Training.
        var training = TrainingConfiguration.default
        training.optimization.steps = steps
        training.seed = seed
        if let done = try? Raw2RawNetwork.readDescription(modelURL), let record = done.training, record.steps == steps,
           done.cameraA == cameraA, done.cameraB == cameraB {
            say("[2/3] the model in \(modelURL.path) is complete (\(record.steps) steps): not training again")
        } else {
            say("[2/3] training the network (default configuration, \(steps) steps) into \(modelURL.path)")
            let layout = try DatasetLayout(root: datasetURL)
            let trainingData = try TrainingData(layout: layout, cameraA: cameraA, cameraB: cameraB)
            let trainer = try Trainer(configuration: training, data: trainingData, modelDirectory: modelURL, resume: true)
            for note in trainer.notes where !note.hasPrefix("no checkpoint to resume") { say("  " + note) }
            say("  \(trainer.network.parameterCount) parameters, \(trainer.patchesPerStep) patches of "
                  + "\(training.sampling.patchSize)x\(training.sampling.patchSize) per step")
            let interval = max(1, steps / 15)
            let record = try trainer.run { p in
                if p.step % interval == 0 || p.step == p.totalSteps || p.step == 1 {
                    say("  " + ProgressLine.describe(p))
                }
                if let v = p.validation {
                    say(String(format: "  validation PSNR at step %d: A->B %.2f dB, B->A %.2f dB (base mapping alone %.2f / %.2f)",
                                 v.step, v.psnrAToB, v.psnrBToA, v.basePSNRAToB, v.basePSNRBToA))
                }
            }
            say("  trained \(record.steps) steps in \(ProgressLine.duration(record.seconds)) (demo time \(elapsed()))")
        }

        // 3. Evaluation.
        say("[3/3] evaluating every method on the test pairs, both directions")
        let report = try EvaluationRun(dataset: datasetURL, cameraA: cameraA, cameraB: cameraB, model: modelURL,
                                       figurePairs: 3, quiet: false).run()
        let notes = [
            "Synthetic dataset (`\(datasetURL.path)`): camera A = `\(cameraA)` (RGGB, black 528, white 4095, Nikon D5100 "
                + "sensitivities), camera B = `\(cameraB)` (GRBG, black 0, white 1023, Sigma SD Merrill sensitivities); 60 unpaired "
                + "images per camera, 8 anchor pairs, 30 test pairs, 128x96 packed, seed \(seed).",
            "Model (`\(modelURL.path)`): default training configuration, \(steps) steps.",
            "Made by `raw2raw demo --out \(out)" + (steps == Self.defaultSteps ? "" : " --steps \(steps)")
                + (seed == 1 ? "" : " --seed \(seed)") + "` in \(elapsed()).",
        ]
        try report.write(to: reportURL, title: "raw2raw demo", notes: notes)
        say("")
        say(report.markdownTable())
        for line in report.comparison(of: "learned", against: ["single-calibration-3x3", "anchor-linear3x3"]) {
            say(line)
        }
        say("")
        say("dataset: \(datasetURL.path)")
        say("model:   \(modelURL.path)")
        say("report:  \(reportURL.appendingPathComponent("report.md").path) (figures in \(reportURL.appendingPathComponent("figures").path))")
        if report.learningCurve != nil {
            say("learning curve: \(reportURL.appendingPathComponent("figures").appendingPathComponent(LearningCurveFigure.fileName).path)")
        }
        say("done in \(elapsed())")
    }
}

/// Writes a line to standard output at once (unbuffered, so progress shows even through a pipe).
func say(_ text: String = "") {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
