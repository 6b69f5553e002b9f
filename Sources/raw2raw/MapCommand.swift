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
            With a two-camera model the source camera is the model's other camera (--from may name it); with a \
            multi-camera model (raw2raw train --cameras) --from names it. .mat files (raw_rggb) are written as .mat, \
            DNG files as DNG: with the CFA pattern, black and white levels and metadata of --template (a \
            raw file of the target camera) when given, otherwise with the input's. Images of any size are \
            mapped tile by tile in bounded memory. Outputs keep the input's file name, in OUTDIR; two \
            inputs with the same file name are rejected. A folder given as input stands for the .mat and \
            .dng files in it.

            Many files, many machines (Documentation/Scaling.md): --shard I/N maps the inputs whose file \
            name hashes to shard I of N (0-based), so N processes given the same inputs share them without \
            overlap; --shard auto takes I and N from a Slurm job array (SLURM_ARRAY_TASK_ID minus \
            SLURM_ARRAY_TASK_MIN, of SLURM_ARRAY_TASK_COUNT) or a Kubernetes Indexed Job \
            (JOB_COMPLETION_INDEX, of --shard-count or RAW2RAW_SHARD_COUNT). --skip-existing continues an \
            interrupted run: outputs that exist are whole and are kept. --jobs N maps N files at once. \
            Progress (files done, rate, ETA) goes to standard error.

            Ctrl-C stops after the files being mapped (exit code 130): finished outputs stay, and \
            no partial file is left.
            """)

    @Option(name: .long, help: "The model folder (written by raw2raw train).")
    var model: String

    @Option(name: .long, help: "The source camera's name (required with a multi-camera model; a two-camera model's other camera otherwise).")
    var from: String?

    @Option(name: .long, help: "The target camera's name.")
    var to: String

    @Argument(help: "Input .mat or .dng files of the other camera, or folders of them.")
    var inputs: [String]

    @Option(name: [.short, .customLong("output")], help: "The output folder.")
    var output: String

    @Option(name: .long, help: "A raw file of the target camera whose CFA pattern, levels and metadata DNG outputs take.")
    var template: String?

    @Option(name: .customLong("tile-size"), help: "Tile side in packed pixels, for images too large to map in one pass (estimated memory over 2 GB).")
    var tileSize: Int = 256

    @Option(name: .long, help: ArgumentHelp("Map only shard I of N of the inputs (0-based, e.g. 0/4), or 'auto' for a Slurm job array or a Kubernetes Indexed Job.",
                                            valueName: "I/N|auto"))
    var shard: String?

    @Option(name: .customLong("shard-count"), help: "With --shard auto: the number of shards (for a Kubernetes Indexed Job: its completions).")
    var shardCount: Int?

    @Flag(name: .customLong("skip-existing"), help: "Keep outputs that already exist (continue an interrupted run).")
    var skipExisting = false

    @Option(name: .long, help: "Files mapped at once, each with its own copy of the model and a share of the threads.")
    var jobs: Int = 1

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("give at least one input file") }
        guard tileSize >= 16 else { throw ValidationError("--tile-size must be at least 16") }
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
        if let n = shardCount {
            guard shard == "auto" else { throw ValidationError("--shard-count goes with --shard auto only") }
            guard n >= 1 else { throw ValidationError("--shard-count must be at least 1, got \(n)") }
        }
        _ = try resolvedShard()
    }

    /// The shard to map: all inputs, `--shard I/N`, or the job array's.
    func resolvedShard() throws -> Shard {
        do {
            switch shard {
            case nil: return .all
            case "auto": return try Shard.fromEnvironment(count: shardCount)
            case let text?: return try Shard.parse(text)
            }
        } catch {
            throw ValidationError("--shard: \(error)")
        }
    }

    /// The two-camera network that maps `--from` to `--to`, its direction and its folder (a
    /// multi-camera model's pair folder, or the model folder itself).
    func pairNetwork() throws -> (Raw2RawNetwork, MappingDirection, URL) {
        let folder = URL(fileURLWithPath: model)
        if MultiCameraModel.isMultiCameraModel(folder) {
            guard let from else { throw ValidationError("\(model) is a multi-camera model: give the source camera with --from") }
            let multi = try MultiCameraModel(contentsOf: folder)
            let (network, direction) = try multi.network(from: from, to: to)
            let record = multi.modelDescription.pair(from, to)!
            return (network, direction, folder.appendingPathComponent(record.folder, isDirectory: true))
        }
        let network = try Raw2RawNetwork(contentsOf: folder)
        let direction = MappingDirection(to: try network.side(of: to))
        if let from, from != network.name(of: direction.source) {
            throw ModelError.unknownCamera(name: from, available: [network.name(of: direction.source)])
        }
        return (network, direction, folder)
    }

    func run() throws {
        let shard = try resolvedShard()
        let (network, direction, pairFolder) = try pairNetwork()
        if let warning = network.integrity.warning { printError("warning: \(warning)") }
        let sourceName = network.name(of: direction.source), to = self.to
        let batch = BatchMapping(direction: direction, outputFolder: URL(fileURLWithPath: output),
                                 template: try template.map { try RawTemplate(contentsOf: URL(fileURLWithPath: $0)) },
                                 tiling: TilingOptions(tileSize: tileSize), shard: shard, skipExisting: skipExisting, jobs: jobs)
        let inputs = try BatchMapping.inputFiles(self.inputs.map { URL(fileURLWithPath: $0) })
        let plan = try batch.plan(inputs)
        var summary = "\(plan.toMap.count) files to map"
        if shard.count > 1 { summary += " (shard \(shard) of \(inputs.count) inputs)" }
        if !plan.skipped.isEmpty { summary += ", \(plan.skipped.count) skipped (outputs exist)" }
        if !plan.leftoverTemporaryFiles.isEmpty { summary += ", \(plan.leftoverTemporaryFiles.count) leftover temporary files removed" }
        if min(jobs, plan.toMap.count) > 1 { summary += ", \(jobs) at a time" }
        printError(summary)
        let modelFolder = pairFolder
        // The first job uses the network loaded above; every further job loads its own copy.
        nonisolated(unsafe) var first: Raw2RawNetwork? = network
        let report: BatchMappingReport
        do {
            // Ctrl-C stops between files (BatchMappingError.cancelled), so every output is whole.
            report = try runCancellingOnInterrupt(notice: "interrupted: stopping after the files being mapped") {
                try batch.run(inputs, network: { () throws(ModelError) -> Raw2RawNetwork in
                    if let n = first { first = nil; return n }
                    return try Raw2RawNetwork(contentsOf: modelFolder)
                }) { p in
                    if let written = p.output {
                        print(String(format: "%@ (%@) -> %@ (%@) in %.2f s", p.input.path, sourceName, written.path, to, p.seconds))
                    } else if let error = p.error {
                        printError("error: \(error)")
                    }
                    printError(String(format: "[%d/%d files] %.2f files/s, elapsed %@, ETA %@", p.completed, p.total, p.filesPerSecond,
                                      ProgressLine.duration(p.elapsedSeconds),
                                      p.remainingSeconds.isFinite ? ProgressLine.duration(p.remainingSeconds) : "?"))
                }
            }
        } catch BatchMappingError.cancelled(let completed, let total) {
            printError("error: \(BatchMappingError.cancelled(completed: completed, total: total))")
            throw ExitCode(130)
        }
        printError("mapped \(report.mapped.count), failed \(report.failures.count), skipped \(report.plan.skipped.count) in "
                   + ProgressLine.duration(report.seconds))
        if !report.failures.isEmpty { throw ExitCode(1) }
    }
}
