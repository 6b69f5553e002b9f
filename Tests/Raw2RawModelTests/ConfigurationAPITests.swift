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
