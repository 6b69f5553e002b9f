// The Swift examples of README.md, verbatim inside functions, so that an API change that breaks
// them breaks the build of the tests. They read files that do not exist here, so they are
// compiled, not run.
import Foundation
import Calibration
import Raw2RawModel
import RawIO

enum ReadmeExamples {
    static func calibrationExample() throws {
        let source = try BayerImage(contentsOf: URL(fileURLWithPath: "iphone.dng"))   // typed errors
        let target = try BayerImage(contentsOf: URL(fileURLWithPath: "s9.dng"))
        let mapping = try ColorMapping.fit(.rootPolynomial2, source: source.packed(), target: target.packed())
        let mapped = mapping.apply(to: source.packed())                                // PackedImage, R Gr Gb B
        print(ImageMetrics(prediction: mapped, reference: target.packed()).psnr)
        try mapped.mosaic(pattern: target.pattern, blackLevels: target.blackLevels,
                          whiteLevel: target.whiteLevel, metadata: target.metadata)
            .writeDNG(to: URL(fileURLWithPath: "mapped.dng"))                          // atomic write
    }

    static func modelExample() throws {
        let network = try Raw2RawNetwork(contentsOf: URL(fileURLWithPath: "model"))   // throws ModelError
        let direction = MappingDirection(to: try network.side(of: "s9"))               // .aToB or .bToA
        try network.mapFile(URL(fileURLWithPath: "iphone.dng"), direction: direction,
                            outputFolder: URL(fileURLWithPath: "mapped"))
        let config = ModelConfiguration.Preset.paper.modelConfiguration               // presets: .default, .paper
        _ = config
    }

    static func trainingExample() throws {
        var training = TrainingConfiguration.default
        training.optimization.steps = 400
        training.monitoring.checkpointInterval = 100
        let data = try TrainingData(layout: DatasetLayout(root: URL(fileURLWithPath: "DATA")), cameraA: "iphonex-like", cameraB: "s9-like")
        let trainer = try Trainer(configuration: training, data: data, modelDirectory: URL(fileURLWithPath: "model"), resume: true)
        try trainer.run { print($0.step, $0.losses.total, $0.validation?.psnrAToB ?? .nan) }
    }
}
