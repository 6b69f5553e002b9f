import Foundation
import Testing
@testable import Calibration
@testable import Raw2RawModel

@Suite("Model configuration presets")
struct ConfigurationAPITests {
    @Test("the memberwise initialiser's defaults are ModelConfiguration.default")
    func memberwiseDefaults() {
        #expect(ModelConfiguration() == .default)
        #expect(ModelConfiguration(preset: .paper, architecture: .paper, channels: [32, 64, 128], outputRange: .sigmoid,
                                   baseMapping: .identity, contextWidth: 0, alignsAnchorExposure: false,
                                   predictsTargetExposure: false, pixelResidual: true) == .paper)
    }

    @Test("presets keep their names as raw values and round-trip through JSON", arguments: ModelConfiguration.Preset.allCases)
    func presetRoundTrip(preset: ModelConfiguration.Preset) throws {
        #expect(preset.modelConfiguration.preset == preset)
        #expect(preset.trainingConfiguration.preset == preset)
        #expect(preset.trainingConfiguration.model == preset.modelConfiguration)
        let data = try JSONEncoder().encode(preset)
        #expect(String(decoding: data, as: UTF8.self) == "\"\(preset.rawValue)\"")
        #expect(try JSONDecoder().decode(ModelConfiguration.Preset.self, from: data) == preset)
        let model = try JSONEncoder().encode(preset.modelConfiguration)
        #expect(try JSONDecoder().decode(ModelConfiguration.self, from: model) == preset.modelConfiguration)
        #expect(ModelConfiguration.Preset(rawValue: preset.rawValue) == preset)
    }

    @Test("the preset names are those of model.json files written before the enum")
    func presetNames() throws {
        #expect(ModelConfiguration.Preset.allCases.map(\.rawValue) == ["default", "paper"])
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(ModelConfiguration.paper)) as? [String: Any]
        #expect(json?["preset"] as? String == "paper")
        let old = try JSONDecoder().decode(ModelConfiguration.self, from: Data(#"{"preset":"paper","channels":[8,16]}"#.utf8))
        #expect(old.preset == .paper && old.architecture == .paper && old.channels == [8, 16])
    }

    @Test("an unknown preset name is a decoding error that lists the known ones")
    func unknownPreset() {
        do {
            _ = try JSONDecoder().decode(ModelConfiguration.self, from: Data(#"{"preset":"fancy"}"#.utf8))
            Issue.record("decoded an unknown preset")
        } catch let DecodingError.dataCorrupted(context) {
            #expect(context.debugDescription.contains("'fancy'") && context.debugDescription.contains("default, paper"))
            #expect(context.codingPath.map(\.stringValue) == ["preset"])
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

}

@Suite("Training configuration groups and their flat JSON")
struct TrainingConfigurationJSONTests {
    /// The `training.configuration` object of a model.json written by `raw2raw quality` (seed 2,
    /// 400 steps) before the configuration had groups, verbatim.
    static let flatModelJSON = #"""
        {"anchorBatchSize": 4, "baseFitPixelsPerPair": 65536, "beta1": 0.9, "beta2": 0.999, "checkpointInterval": 250, "epsilon": 1e-08, "flips": true, "keepCheckpoints": 2, "learningRate": 0.001, "loss": "l1", "lossWeights": {"alignment": 0, "cycle": 1, "deviation": 2, "mapping": 1, "reconstruction": 0}, "model": {"activation": "leakyReLU", "alignsAnchorExposure": true, "architecture": "residual", "baseMapping": "anchorValidated", "channels": [16, 32, 64], "contextWidth": 32, "correctionInitScale": 0.001, "kernelSize": 3, "negativeSlope": 0.2, "outputRange": "clamp", "pixelResidual": false, "predictsTargetExposure": true, "preset": "default", "thumbnailSize": 32}, "patchSize": 64, "poolRefreshInterval": 4, "preset": "default", "residentImages": 16, "schedule": {"kind": "cosine", "minimumFactor": 0.1, "warmupSteps": 50}, "seed": 2, "steps": 400, "unpairedBatchSize": 8, "validationCrop": 256, "validationInterval": 250, "validationPairs": 8}
        """#

    @Test("a configuration written before the groups decodes into them, and encodes back to the same flat object")
    func oldFlatJSON() throws {
        let data = Data(Self.flatModelJSON.utf8)
        let c = try JSONDecoder().decode(TrainingConfiguration.self, from: data)
        var expected = TrainingConfiguration.default
        expected.optimization.steps = 400
        expected.seed = 2
        #expect(c == expected)
        #expect(c.optimization.learningRate == 1e-3 && c.sampling.patchSize == 64 && c.monitoring.checkpointInterval == 250)
        let written = try JSONSerialization.jsonObject(with: Raw2RawNetwork.encodeJSON(c)) as? NSDictionary
        let original = try JSONSerialization.jsonObject(with: data) as? NSDictionary
        #expect(written != nil && written == original)
    }

    @Test("a flat configuration file changing a few keys of a preset fills the groups from it")
    func partialFlatFile() throws {
        let json = #"{"preset": "paper", "steps": 5000, "patchSize": 128, "keepCheckpoints": 5, "beta2": 0.99}"#
        let c = try JSONDecoder().decode(TrainingConfiguration.self, from: Data(json.utf8))
        var expected = TrainingConfiguration.paper
        expected.optimization.steps = 5000
        expected.optimization.beta2 = 0.99
        expected.sampling.patchSize = 128
        expected.monitoring.keepCheckpoints = 5
        #expect(c == expected)
        #expect(c.optimization.learningRate == 2e-3 && c.optimization.schedule.kind == .cosine)
        #expect(c.sampling.anchorTiling == 4 && c.sampling.gainAugmentation == 1.5 && c.optimization.outputBiasPrior,
                "a partial file takes the preset's recipe options")
    }

    /// The `paper` preset's recipe before issue 13, as its `model.json` recorded it: every key,
    /// and none of the recipe options (they were off, and the encoder leaves those out).
    static let oldPaperJSON = #"""
    {"preset": "paper", "model": {"preset": "paper", "architecture": "paper", "channels": [32, 64, 128], "kernelSize": 3,
     "activation": "leakyReLU", "negativeSlope": 0.2, "outputRange": "sigmoid", "baseMapping": "identity", "contextWidth": 0,
     "thumbnailSize": 32, "correctionInitScale": 0.001, "alignsAnchorExposure": false, "predictsTargetExposure": false,
     "pixelResidual": true},
     "lossWeights": {"reconstruction": 1, "alignment": 1, "mapping": 1, "cycle": 0, "deviation": 0}, "loss": "l1", "seed": 0,
     "steps": 2000, "learningRate": 0.0003, "schedule": {"kind": "constant", "warmupSteps": 0, "minimumFactor": 0.1},
     "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "patchSize": 64, "unpairedBatchSize": 8, "anchorBatchSize": 4,
     "flips": true, "residentImages": 16, "poolRefreshInterval": 4, "baseFitPixelsPerPair": 65536,
     "checkpointInterval": 250, "keepCheckpoints": 2, "validationInterval": 250, "validationPairs": 8, "validationCrop": 256}
    """#

    @Test("a paper model or checkpoint written before the preset's new recipe decodes with the recipe it was trained with")
    func oldPaperRecipe() throws {
        let c = try JSONDecoder().decode(TrainingConfiguration.self, from: Data(Self.oldPaperJSON.utf8))
        #expect(c.sampling.anchorTiling == 0 && c.sampling.gainAugmentation == 0 && c.sampling.anchorMixing == 0)
        #expect(!c.optimization.outputBiasPrior)
        #expect(c.optimization.learningRate == 3e-4 && c.sampling.patchSize == 64 && c.optimization.steps == 2000)
        #expect(c.model == .paper && c.lossWeights == .paper)
        // The new preset's complete encoding decodes to itself, its options written out.
        let again = try JSONDecoder().decode(TrainingConfiguration.self, from: Raw2RawNetwork.encodeJSON(TrainingConfiguration.paper))
        #expect(again == .paper)
    }

    @Test("the groups' initialisers default to the default preset; the presets differ only where documented")
    func groupDefaults() {
        #expect(TrainingConfiguration() == .default)
        #expect(TrainingConfiguration.default.optimization == OptimizationConfiguration())
        #expect(TrainingConfiguration.default.lossWeights == .default)
        #expect(TrainingConfiguration.paper.sampling == .paper && TrainingConfiguration.paper.monitoring == .default)
        var paperSampling = SamplingConfiguration.default
        paperSampling.patchSize = 32
        paperSampling.gainAugmentation = 1.5
        paperSampling.anchorTiling = 4
        #expect(SamplingConfiguration.paper == paperSampling, "the paper sampling differs from the default in these three only")
        #expect(TrainingConfiguration.paper.optimization == OptimizationConfiguration.paper)
        #expect(TrainingConfiguration.paper.lossWeights == .paper)
    }

    @Test("changedKeys names the flat keys that differ and ignores run length and monitoring")
    func changedKeysOnGroups() {
        let a = TrainingConfiguration.default
        var b = a
        b.optimization.steps = 10
        b.monitoring = MonitoringConfiguration(checkpointInterval: 1, keepCheckpoints: 9, validationInterval: 3, validationPairs: 1, validationCrop: 16)
        #expect(Trainer.changedKeys(a, b).isEmpty)
        b.optimization.learningRate = 5e-4
        b.sampling.flips = false
        #expect(Trainer.changedKeys(a, b) == ["flips", "learningRate"])
    }
}
