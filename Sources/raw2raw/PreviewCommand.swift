import ArgumentParser
import Foundation
import RawIO

/// `raw2raw preview FILE -o OUT.png`: an 8-bit picture of the raw data, the way the paper shows it.
struct PreviewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preview",
        abstract: "Write a PNG picture of a raw file's sensor data (half size, greens averaged, x0.9, gamma 1/1.6).",
        discussion: "No demosaicing and no white balance: the picture shows the sensor's own colours, as the paper's figures do."
    )

    @Argument(help: "A raw file (DNG, or any format LibRaw reads), or a packed .mat file (variable raw_rggb).")
    var file: String

    @Option(name: .shortAndLong, help: "The PNG file to write.")
    var output: String

    func run() throws {
        let url = URL(fileURLWithPath: file)
        let packed = url.pathExtension.lowercased() == "mat"
            ? try PackedImage(contentsOfMAT: url)
            : try BayerImage(contentsOf: url).packed()
        let picture = packed.preview()
        try picture.writePNG(to: URL(fileURLWithPath: output))
        print("\(output): \(picture.width) x \(picture.height) preview of \(file)")
    }
}
