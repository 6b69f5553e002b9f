import ArgumentParser
import Foundation
import RawIO

/// `raw2raw inspect FILE... [--json]`: the size, CFA, levels and metadata of raw files.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show the size, CFA pattern, black/white levels and metadata of raw files.",
        discussion: """
            Files that cannot be read are named on stderr, one line each; the others are still \
            reported, and the exit status is then 1.
            """
    )

    @Argument(help: "Raw files (DNG, or any format LibRaw reads).")
    var files: [String]

    @Flag(help: "Print one JSON object per file and line (keys: file, width, height, cfa, blackLevels in R Gr Gb B order, blackLevelsCFA, whiteLevel, make, model, and iso, exposureTime, asShotNeutral, cameraWhiteBalance, colorMatrices where present).")
    var json = false

    func run() throws {
        var failures = 0
        for (index, file) in files.enumerated() {
            do {
                let image = try BayerImage(contentsOf: URL(fileURLWithPath: file))
                let info = RawFileInfo(file: file, image: image)
                if json {
                    print(info.jsonLine())
                } else {
                    if index > 0 { print() }
                    print(info.summary)
                }
            } catch {
                failures += 1
                FileHandle.standardError.write(Data("raw2raw inspect: \(error)\n".utf8))
            }
        }
        if failures > 0 { throw ExitCode.failure }
    }
}
