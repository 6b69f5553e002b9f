import ArgumentParser

/// The `raw2raw` command: camera raw-to-raw mapping tools.
@main
struct Raw2Raw: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "raw2raw",
        abstract: "Camera raw-to-raw mapping (Afifi & Abuolaim, \"Semi-Supervised Raw-to-Raw Mapping\").",
        subcommands: [InspectCommand.self, PreviewCommand.self, CalibrateCommand.self, ApplyCommand.self, Synth.self, TrainCommand.self, MapCommand.self, EvaluateCommand.self, CurveCommand.self, DemoCommand.self, QualityCommand.self, RobustnessCommand.self]
    )
}
