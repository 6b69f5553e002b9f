import ArgumentParser
import Calibration
import Foundation
import RawIO

/// `raw2raw calibrate`: fits a least-squares colour mapping on aligned image pairs.
struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Fit a least-squares colour mapping from one camera's raw space to another's.",
        discussion: """
            Pairs are the files with the same name in the source and the target folder: DNG files
            (packed and normalized with their own black and white levels) or .mat files holding a
            packed H x W x 4 variable (--variable, `raw_rggb` as in the paper's dataset). Every pixel of every pair is
            a sample; clipped and near-black pixels are dropped, and at most --max-samples samples are
            drawn at random (seeded). The mapping is written as JSON and its fit statistics printed.
            Methods: \(ColorMapping.Kind.allCases.map(\.rawValue).joined(separator: ", ")).
            """)

    @Option(name: .long, help: "The mapping: linear3x3, linear4x4, affine, poly16, poly2, poly3, rootpoly2 or rootpoly3.")
    var method: String

    @Option(name: .long, help: "Folder of source-camera images.")
    var source: String

    @Option(name: .long, help: "Folder of target-camera images with the same file names.")
    var target: String

    @Option(name: [.short, .customLong("output")], help: "The mapping JSON file to write.")
    var output: String

    @Option(name: .long, help: "Ridge regularisation strength (0: ordinary least squares).")
    var ridge: Double = 0

    @Option(name: .customLong("max-samples"), help: "Sample budget, drawn at random from the usable pixels (0: use all).")
    var maxSamples: Int = 2_000_000

    @Option(name: .long, help: "Seed of the random sample selection.")
    var seed: UInt64 = 0

    @Option(name: .customLong("clip-threshold"), help: "Drop samples with any channel at or above this value.")
    var clipThreshold: Double = 0.98

    @Option(name: .customLong("black-threshold"), help: "Drop samples with all channels at or below this value.")
    var blackThreshold: Double = 0.002

    @Flag(name: .customLong("no-mask"), help: "Keep clipped and near-black samples.")
    var noMask = false

    @Option(name: .long, help: "The variable of .mat files.")
    var variable: String = "raw_rggb"

    func validate() throws {
        guard ColorMapping.Kind(rawValue: method) != nil else {
            throw ValidationError("unknown method '\(method)'; use one of \(ColorMapping.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard maxSamples >= 0 else { throw ValidationError("--max-samples must be >= 0") }
    }

    func run() throws {
        let kind = ColorMapping.Kind(rawValue: method)!
        let pairs = try ImagePairFolders.pairs(source: source, target: target)
        var sources: [PackedImage] = [], targets: [PackedImage] = []
        for pair in pairs {
            let s = try ImagePairFolders.loadPacked(pair.source, variable: variable)
            let t = try ImagePairFolders.loadPacked(pair.target, variable: variable)
            guard s.height == t.height && s.width == t.width else {
                throw CLIError("\(pair.source.lastPathComponent): the source is \(s.height)x\(s.width) packed pixels but the target is \(t.height)x\(t.width)")
            }
            sources.append(s)
            targets.append(t)
        }
        let mask = noMask ? SampleMask.none : SampleMask(clippedThreshold: clipThreshold, blackThreshold: blackThreshold)
        let options = FitOptions(ridge: ridge, mask: mask, sampleBudget: maxSamples == 0 ? nil : maxSamples, seed: seed)
        let start = Date()
        let mapping = try ColorMapping.fit(kind, sources: sources, targets: targets, options: options)
        let seconds = Date().timeIntervalSince(start)
        try mapping.write(to: URL(fileURLWithPath: output))
        print("fitted \(kind.rawValue) on \(pairs.count) pair\(pairs.count == 1 ? "" : "s") in \(String(format: "%.2f", seconds)) s -> \(output)")
        print(mapping.description)
    }
}

/// A message for the command line, printed as `Error: <message>`.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// Matching the files of two folders by name, and reading them as packed images.
enum ImagePairFolders {
    /// File extensions read as image pairs.
    static let extensions: Set<String> = ["dng", "mat"]

    /// The files of `source` with a readable extension, each with the same name in `target`, sorted by name.
    static func pairs(source: String, target: String) throws -> [(source: URL, target: URL)] {
        let fm = FileManager.default
        for folder in [source, target] {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw CLIError("\(folder): not a folder")
            }
        }
        let names = try fm.contentsOfDirectory(atPath: source)
            .filter { !$0.hasPrefix(".") && extensions.contains(($0 as NSString).pathExtension.lowercased()) }
            .sorted()
        guard !names.isEmpty else {
            throw CLIError("\(source): no image files (\(extensions.sorted().map { "." + $0 }.joined(separator: ", ")))")
        }
        let missing = names.filter { !fm.fileExists(atPath: (target as NSString).appendingPathComponent($0)) }
        guard missing.isEmpty else {
            throw CLIError("\(target): no file of the same name for \(missing.joined(separator: ", "))")
        }
        return names.map {
            (URL(fileURLWithPath: (source as NSString).appendingPathComponent($0)),
             URL(fileURLWithPath: (target as NSString).appendingPathComponent($0)))
        }
    }

    /// Reads a DNG as a normalized packed image, or a packed image from a .mat variable.
    static func loadPacked(_ url: URL, variable: String) throws -> PackedImage {
        if url.pathExtension.lowercased() == "mat" {
            return try PackedImage(contentsOfMAT: url, variable: variable)
        }
        return try BayerImage(contentsOf: url).packed()
    }
}
