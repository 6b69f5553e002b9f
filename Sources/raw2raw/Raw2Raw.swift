import ArgumentParser
import Foundation
import RawIO

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the metadata of raw files.")
    @Argument(help: "Raw files (DNG or any format LibRaw reads).") var files: [String]
    func run() throws {
        for f in files {
            let img = try BayerImage(contentsOf: URL(fileURLWithPath: f))
            print(f, img.width, img.height, img.pattern.rawValue, img.packedBlackLevels, img.whiteLevel, img.metadata)
        }
    }
}
@main
struct Raw2Raw: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "raw2raw", abstract: "Camera raw-to-raw mapping.", subcommands: [Inspect.self])
}
