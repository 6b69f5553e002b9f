import ArgumentParser
import Foundation
import Raw2RawModel
import RawIO

/// `raw2raw map`: maps raw files into another camera's raw space with a trained model.
struct MapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "map",
        abstract: "Map .mat or DNG raw files into the other camera's raw space with a trained model.",
        discussion: """
            The source camera is the model's other camera. .mat files (raw_rggb) are written as .mat,
            DNG files as DNG: with the CFA pattern, black and white levels and metadata of --template (a
            raw file of the target camera) when given, otherwise with the input's. Images of any size are
            mapped tile by tile in bounded memory. Outputs keep the input's file name, in OUTDIR.
            Ctrl-C stops after the file being mapped (exit code 130): finished outputs stay, and
            no partial file is left.
            """)

    @Option(name: .long, help: "The model folder (written by raw2raw train).")
    var model: String

    @Option(name: .long, help: "The target camera's name.")
    var to: String

    @Argument(help: "Input .mat or .dng files of the other camera.")
    var inputs: [String]

    @Option(name: [.short, .customLong("output")], help: "The output folder.")
    var output: String

    @Option(name: .long, help: "A raw file of the target camera whose CFA pattern, levels and metadata DNG outputs take.")
    var template: String?

    @Option(name: .customLong("tile-size"), help: "Tile side in packed pixels.")
    var tileSize: Int = 256

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("give at least one input file") }
        guard tileSize >= 16 else { throw ValidationError("--tile-size must be at least 16") }
    }

    func run() throws {
        let network = try Raw2RawNetwork(contentsOf: URL(fileURLWithPath: model))
        let direction = MappingDirection(to: try network.side(of: to))
        let sourceName = network.name(of: direction.source)
        let rawTemplate = try template.map { try RawTemplate(contentsOf: URL(fileURLWithPath: $0)) }
        let tiling = TilingOptions(tileSize: tileSize)
        let outFolder = URL(fileURLWithPath: output)
        let inputs = self.inputs, to = self.to
        let failures: Int
        do {
            // Ctrl-C stops between files (with ModelError.cancelled), so every output is whole.
            failures = try runCancellingOnInterrupt(notice: "interrupted: stopping after the current file") { () throws -> Int in
                var failures = 0
                for (index, input) in inputs.enumerated() {
                    try Raw2RawNetwork.checkCancellation(completed: index, total: inputs.count)
                    let start = Date()
                    do {
                        let written = try network.mapFile(URL(fileURLWithPath: input), direction: direction, outputFolder: outFolder,
                                                          template: rawTemplate, tiling: tiling)
                        print(String(format: "%@ (%@) -> %@ (%@) in %.2f s", input, sourceName, written.path, to, Date().timeIntervalSince(start)))
                    } catch {
                        printError("error: \(error)")
                        failures += 1
                    }
                }
                return failures
            }
        } catch ModelError.cancelled(let completed, let total) {
            printError("error: \(ModelError.cancelled(completed: completed, total: total))")
            throw ExitCode(130)
        }
        if failures > 0 { throw ExitCode(1) }
    }
}
