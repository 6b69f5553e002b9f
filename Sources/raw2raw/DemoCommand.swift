import ArgumentParser
import Foundation
import RawIO

/// `raw2raw demo`: runs the main job on the built-in sample data.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run raw2raw on built-in demo data: inspect the bundled sample DNGs and write previews."
    )

    @Option(name: .long, help: "Folder for the demo's output.")
    var out: String = "raw2raw-demo"

    func run() throws {
        let folder = Bundle.module.bundleURL.appendingPathComponent("samples")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        let samples = names.filter { $0.hasSuffix(".dng") }.sorted().map { folder.appendingPathComponent($0) }
        guard !samples.isEmpty else {
            throw ValidationError("the bundled sample DNGs are missing from this build (\(folder.path))")
        }
        let outDir = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: outDir, withIntermediateDirectories: true)
        for url in samples {
            let image = try BayerImage(contentsOf: url)
            print(RawFileInfo(file: url.lastPathComponent, image: image).summary)
            let png = outDir.appendingPathComponent(url.deletingPathExtension().lastPathComponent + ".png")
            try image.packed().preview().writePNG(to: png)
            print("  preview: \(png.path)")
        }
    }
}
