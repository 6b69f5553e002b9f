import ArgumentParser
import Foundation
import Raw2RawModel
import RawIO

extension ModelConfiguration.Preset: ExpressibleByArgument {}

/// `raw2raw train`: trains the two-camera network on a dataset in the paper's layout.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the raw-to-raw network of two cameras, or one model of several cameras, on a dataset folder.",
        discussion: """
            DIR has the paper's layout: unpaired/<camera>/raw-rggb/, paired/<camera>/anchor-raw-rggb/ and,
            for validation, paired/<camera>/raw-rggb/ (.mat files holding raw_rggb, or DNG files).
            Checkpoints go to MODEL_DIR/checkpoints/ and the trained model to MODEL_DIR/model.json and
            model.safetensors. --resume continues from the newest checkpoint; an interrupted run resumed
            with the same settings gives exactly the losses of an uninterrupted one.
            --config reads a JSON TrainingConfiguration; keys it leaves out take the values of its
            "preset" ("default" or "paper"), e.g. {"preset": "paper", "steps": 5000}.

            --cameras a,b,c trains one model of several cameras (Documentation/MultiCamera.md): an anchor scene is
            a file name under paired/<camera>/anchor-raw-rggb/ of two or more cameras, and the anchors must connect
            every camera (a chain or a star is enough). Pairs that share anchor scenes are trained as two-camera
            models on their own data; each pair that shares none is trained on every anchor scene either camera
            saw, the other camera's image carried to it through the cameras that connect them. The model folder
            holds cameras.json and one model per pair under pairs/; --resume keeps finished pairs.
            """)

    @Option(name: .long, help: "The dataset folder.")
    var dataset: String

    @OptionGroup var cameras: CameraSelection

    @Option(name: [.short, .customLong("output")], help: "The model folder to write.")
    var output: String

    @Option(name: .long, help: "Training steps (overrides the configuration).")
    var steps: Int?

    @Option(name: .long, help: "Random seed (overrides the configuration).")
    var seed: UInt64?

    @Option(name: .long, help: "A preset when no --config is given.")
    var preset: TrainingConfiguration.Preset = .default

    @Option(name: .long, help: "A JSON training configuration file.")
    var config: String?

    @Flag(name: .long, help: "Continue from the newest checkpoint in the model folder.")
    var resume = false

    @Flag(name: .long, help: "Print only warnings, validations and the summary.")
    var quiet = false

    func validate() throws {
        if let steps, steps < 0 { throw ValidationError("--steps must not be negative") }
        _ = try cameras.resolved()
    }

    func run() throws {
        var configuration: TrainingConfiguration
        if let config {
            let url = URL(fileURLWithPath: config)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw TrainCommandError("\(config): cannot read the configuration file")
            }
            do {
                configuration = try JSONDecoder().decode(TrainingConfiguration.self, from: data)
            } catch {
                throw TrainCommandError("\(config): not a training configuration (\(error))")
            }
        } else {
            configuration = preset.trainingConfiguration
        }
        if let steps { configuration.optimization.steps = steps }
        if let seed { configuration.seed = seed }
        let problems = configuration.problems()
        guard problems.isEmpty else { throw TrainCommandError("invalid configuration: " + problems.joined(separator: "; ")) }

        let layout = try DatasetLayout(root: URL(fileURLWithPath: dataset))
        let (names, multi) = try cameras.resolved()
        if multi { return try trainMultiCamera(layout: layout, cameras: names, configuration: configuration) }
        let data = try TrainingData(layout: layout, cameraA: names[0], cameraB: names[1])
        for w in data.warnings { printError("warning: \(w)") }
        print("dataset \(dataset): \(data.unpairedA.count) + \(data.unpairedB.count) unpaired images, "
              + "\(data.anchors.count) anchor pairs, \(data.validation.map { "\($0.count) validation pairs" } ?? "no validation pairs")")

        let trainer = try Trainer(configuration: configuration, data: data, modelDirectory: URL(fileURLWithPath: output), resume: resume)
        for note in trainer.notes { print(note) }
        let network = trainer.network
        print("model: \(configuration.model.architecture.rawValue) (\(configuration.preset) preset), "
              + "channels \(configuration.model.channels), \(network.parameterCount) parameters, "
              + "base \(configuration.model.architecture == .residual ? configuration.model.baseMapping.rawValue : "none"); "
              + "\(configuration.optimization.steps) steps of \(trainer.patchesPerStep) patches of \(configuration.sampling.patchSize)x\(configuration.sampling.patchSize)")

        let line = ProgressLine(interactive: isatty(STDOUT_FILENO) != 0 && !quiet)
        let record = try trainer.run { p in
            if let v = p.validation {
                line.finish()
                print(String(format: "step %d: validation PSNR A->B %.2f dB (start %.2f), B->A %.2f dB (start %.2f) on %d pairs",
                             p.step, v.psnrAToB, v.basePSNRAToB, v.psnrBToA, v.basePSNRBToA, v.pairCount))
            }
            guard !quiet else { return }
            let text = ProgressLine.describe(p)
            if line.interactive {
                line.update(text)
            } else if p.step == 1 || p.step % max(1, p.totalSteps / 20) == 0 || p.step == p.totalSteps || p.checkpoint != nil {
                print(text)
            }
            if let c = p.checkpoint, line.interactive {
                line.finish()
                print("checkpoint \(c.lastPathComponent)")
            }
        }
        line.finish()
        print(String(format: "trained %d steps in %@ -> %@", record.steps, ProgressLine.duration(record.seconds), output))
        if let v = record.validation {
            print(String(format: "final validation PSNR: A->B %.2f dB, B->A %.2f dB (%@ alone: %.2f / %.2f dB)",
                         v.psnrAToB, v.psnrBToA, configuration.model.architecture == .residual ? "base mapping" : "identity",
                         v.basePSNRAToB, v.basePSNRBToA))
        }
    }
}

extension TrainCommand {
    /// `--cameras`: trains every pair of a multi-camera model, printing each pair's progress.
    func trainMultiCamera(layout: DatasetLayout, cameras: [String], configuration: TrainingConfiguration) throws {
        let trainer = try MultiCameraTrainer(configuration: configuration, layout: layout, cameras: cameras,
                                             modelDirectory: URL(fileURLWithPath: output), resume: resume)
        print("dataset \(dataset): cameras \(cameras.joined(separator: ", ")); anchor graph "
              + trainer.graph.edges.map { "\($0.cameraA)-\($0.cameraB) (\($0.scenes.count) scenes)" }.joined(separator: ", "))
        for pair in trainer.plan where pair.source == .carried {
            let path = trainer.graph.path(from: pair.cameraA, to: pair.cameraB) ?? []
            print("\(pair.cameraA)/\(pair.cameraB): no shared anchors; \(pair.anchorScenes) anchor scenes carried through \(CameraGraph.describe(path))")
        }
        let quiet = self.quiet
        let model = try trainer.run { p in
            let label = "[pair \(p.pairIndex)/\(p.pairCount) \(p.pair.cameraA)/\(p.pair.cameraB)]"
            switch p.event {
            case .kept:
                print("\(label) complete, kept")
            case .started(let notes):
                print("\(label) training on \(p.pair.anchorScenes) anchor scenes" + (p.pair.source == .carried ? " (carried)" : ""))
                if !quiet { for n in notes { print("  \(n)") } }
            case .step(let s):
                if let v = s.validation {
                    print(String(format: "%@ step %d: validation PSNR A->B %.2f dB (start %.2f), B->A %.2f dB (start %.2f)",
                                 label, s.step, v.psnrAToB, v.basePSNRAToB, v.psnrBToA, v.basePSNRBToA))
                } else if !quiet && (s.step == 1 || s.step % max(1, s.totalSteps / 10) == 0) {
                    print("\(label) " + ProgressLine.describe(s))
                }
            case .finished(let record):
                print("\(label) trained \(record.steps) steps in \(ProgressLine.duration(record.seconds))")
            }
        }
        print("multi-camera model of \(model.cameras.count) cameras -> \(output)")
    }
}

/// The cameras of `train` and `evaluate`: `--camera-a` and `--camera-b`, or `--cameras a,b,c`.
struct CameraSelection: ParsableArguments {
    @Option(name: .customLong("camera-a"), help: "The first camera's folder name (two cameras).")
    var cameraA: String?

    @Option(name: .customLong("camera-b"), help: "The second camera's folder name (two cameras).")
    var cameraB: String?

    @Option(name: .long, help: ArgumentHelp("Two or more camera folder names, comma-separated: several cameras, every pair of them (a multi-camera model).",
                                            valueName: "a,b,c"))
    var cameras: String?

    /// The camera names and whether they came from `--cameras`.
    func resolved() throws -> (names: [String], multi: Bool) {
        if let cameras {
            guard cameraA == nil && cameraB == nil else { throw ValidationError("give --cameras or --camera-a/--camera-b, not both") }
            let names = cameras.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard names.count >= 2, !names.contains(where: \.isEmpty) else {
                throw ValidationError("--cameras needs two or more comma-separated camera names, got '\(cameras)'")
            }
            guard Set(names).count == names.count else { throw ValidationError("--cameras repeats a camera: '\(cameras)'") }
            return (names, true)
        }
        guard let cameraA, let cameraB else { throw ValidationError("give --camera-a and --camera-b, or --cameras a,b,c") }
        guard cameraA != cameraB else { throw ValidationError("--camera-a and --camera-b must differ") }
        return ([cameraA, cameraB], false)
    }
}

/// A terminal line rewritten in place (`\r`) while training runs.
final class ProgressLine {
    let interactive: Bool
    private var length = 0

    init(interactive: Bool) { self.interactive = interactive }

    func update(_ text: String) {
        let padded = text.count < length ? text + String(repeating: " ", count: length - text.count) : text
        FileHandle.standardOutput.write(Data(("\r" + padded).utf8))
        length = text.count
    }

    func finish() {
        if interactive && length > 0 { FileHandle.standardOutput.write(Data("\n".utf8)) }
        length = 0
    }

    static func describe(_ p: TrainingProgress) -> String {
        let l = p.losses
        var terms: [String] = []
        if l.reconstruction != 0 { terms.append(String(format: "rec %.4f", l.reconstruction)) }
        if l.alignment != 0 { terms.append(String(format: "align %.4f", l.alignment)) }
        if l.mapping != 0 { terms.append(String(format: "map %.4f", l.mapping)) }
        if l.cycle != 0 { terms.append(String(format: "cyc %.4f", l.cycle)) }
        if l.deviation != 0 { terms.append(String(format: "dev %.4f", l.deviation)) }
        return String(format: "step %d/%d  loss %.4f (%@)  lr %.2e  %.1f patches/s  elapsed %@  ETA %@",
                      p.step, p.totalSteps, l.total, terms.joined(separator: ", "), p.learningRate, p.patchesPerSecond,
                      duration(p.elapsedSeconds), duration(p.remainingSeconds))
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
        return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m"
    }
}

/// A message for the command line, printed as `Error: <message>`.
struct TrainCommandError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// Prints to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
