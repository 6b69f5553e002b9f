import ArgumentParser
import Calibration
import Foundation
import RawIO

/// `raw2raw apply`: maps a raw image with a fitted colour mapping.
struct ApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Map a raw image into another camera's raw space with a colour mapping.",
        discussion: """
            The mapping is a JSON file written by `raw2raw calibrate`, or a paper-style .mat file
            holding a 16x4 `mapping_matrix`. A DNG input (or any raw file LibRaw reads) is packed
            with its own levels, mapped, clipped to [0, 1] and written as a DNG with the input's CFA
            pattern, black and white levels and metadata, or those of --template (a DNG of the
            target camera). A .mat input (a packed H x W x 4 variable) is written as a .mat file.
            """)

    @Argument(help: "The mapping: a JSON file from `raw2raw calibrate`, or a .mat file with a 16x4 mapping_matrix.")
    var mapping: String

    @Argument(help: "The image to map: a DNG (or another raw file) or a .mat packed image.")
    var input: String

    @Option(name: [.short, .customLong("output")], help: "The file to write: .dng for a raw input, .mat for a .mat input.")
    var output: String

    @Option(name: .long, help: "A target-camera DNG whose CFA pattern, levels and metadata the output DNG takes.")
    var template: String?

    @Option(name: .long, help: "The variable of .mat files (input image and output).")
    var variable: String = "raw_rggb"

    @Option(name: .customLong("mapping-variable"), help: "The variable of a .mat mapping file.")
    var mappingVariable: String = "mapping_matrix"

    @Flag(name: .long, help: "Compute in Double (dgemm) instead of Float (sgemm).")
    var double = false

    @Flag(name: .customLong("mat-double"), help: "Write a .mat output as double instead of single.")
    var matDouble = false

    static func isMAT(_ path: String) -> Bool { (path as NSString).pathExtension.lowercased() == "mat" }

    func validate() throws {
        if Self.isMAT(input) {
            guard Self.isMAT(output) else { throw ValidationError("a .mat input is written as .mat: give an output ending in .mat") }
            guard template == nil else { throw ValidationError("--template sets the levels of a DNG output; a .mat output has none") }
        } else {
            guard (output as NSString).pathExtension.lowercased() == "dng" else {
                throw ValidationError("a raw input is written as DNG: give an output ending in .dng")
            }
        }
    }

    func run() throws {
        let mappingURL = URL(fileURLWithPath: mapping)
        let colorMapping: ColorMapping
        if Self.isMAT(mapping) {
            colorMapping = try ColorMapping(paperMappingMatrix: MATFile.readMappingMatrix(contentsOf: mappingURL, variable: mappingVariable))
        } else {
            colorMapping = try ColorMapping(contentsOf: mappingURL)
        }
        let precision: ApplyPrecision = double ? .float64 : .float32
        let inputURL = URL(fileURLWithPath: input), outputURL = URL(fileURLWithPath: output)
        let start = Date()
        if Self.isMAT(input) {
            let packed = try PackedImage(contentsOfMAT: inputURL, variable: variable)
            let mapped = colorMapping.apply(to: packed, precision: precision)
            try mapped.writeMAT(to: outputURL, variable: variable, precision: matDouble ? .double : .single)
            print("mapped \(input) (\(packed.height)x\(packed.width) packed) with \(colorMapping.kind.rawValue) in \(String(format: "%.2f", Date().timeIntervalSince(start))) s -> \(output)")
        } else {
            let raw = try BayerImage(contentsOf: inputURL)
            let target = try template.map { try BayerImage(contentsOf: URL(fileURLWithPath: $0)) }
            let mapped = colorMapping.apply(to: raw, pattern: target?.pattern, blackLevels: target?.blackLevels,
                                            whiteLevel: target?.whiteLevel, metadata: target?.metadata, precision: precision)
            try mapped.writeDNG(to: outputURL)
            print("mapped \(input) (\(raw.width)x\(raw.height), \(raw.pattern.rawValue)) with \(colorMapping.kind.rawValue) in \(String(format: "%.2f", Date().timeIntervalSince(start))) s -> \(output) (\(mapped.pattern.rawValue), black \(mapped.blackLevels.rowMajor.map { String(format: "%g", $0) }.joined(separator: "/")), white \(mapped.whiteLevel))")
        }
    }
}
