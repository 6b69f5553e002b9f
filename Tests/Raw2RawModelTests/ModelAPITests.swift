@testable import Calibration
import Foundation
import RawIO
import RawTensor
import Testing
@testable import Raw2RawModel

@Suite("Sides, directions and direction pairs")
struct DirectionAPITests {
    @Test("a direction names its source and target side, and its raw values are those of the reports")
    func directions() {
        #expect(MappingDirection.allCases.map(\.rawValue) == ["A->B", "B->A"])
        for side in CameraSide.allCases {
            let d = MappingDirection(from: side)
            #expect(d.source == side && d.target == side.other)
            #expect(MappingDirection(to: side).target == side)
            #expect(d.reversed == MappingDirection(from: side.other))
        }
        #expect(MappingDirection.aToB.description == "A->B")
    }

    @Test("a direction pair reads and writes by name and by direction")
    func pairAccess() {
        var pair = DirectionPair(aToB: 1, bToA: 2)
        #expect(pair[.aToB] == 1 && pair[.bToA] == 2)
        pair[.bToA] = 5
        #expect(pair.bToA == 5)
        #expect(pair.map { $0 * 10 } == DirectionPair(aToB: 10, bToA: 50))
        #expect(DirectionPair { $0.rawValue } == DirectionPair(aToB: "A->B", bToA: "B->A"))
        #expect(DirectionPair<Int?>(aToB: 1, bToA: nil).unwrapped() == nil)
        #expect(DirectionPair<Int?>(aToB: 1, bToA: 3).unwrapped() == DirectionPair(aToB: 1, bToA: 3))
    }

    @Test("a direction pair encodes as an object with aToB and bToA keys and round-trips")
    func pairCodable() throws {
        let pair = DirectionPair(aToB: [1.5, 2], bToA: [0.25])
        let data = try JSONEncoder().encode(pair)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: [Double]])
        #expect(object == ["aToB": [1.5, 2], "bToA": [0.25]])
        #expect(try JSONDecoder().decode(DirectionPair<[Double]>.self, from: data) == pair)
        let sendable: any Sendable = pair
        #expect(sendable is DirectionPair<[Double]>)
    }

    @Test("camera names resolve to sides through one function, and back")
    func cameraNames() throws {
        let network = Raw2RawNetwork(configuration: .default, cameraA: "canon", cameraB: "nikon", seed: 0)
        #expect(try network.side(of: "canon") == .a && network.side(of: "nikon") == .b)
        for side in CameraSide.allCases { #expect(try network.side(of: network.name(of: side)) == side) }
        do {
            _ = try network.side(of: "sony")
            Issue.record("an unknown camera resolved")
        } catch {
            #expect(error == .unknownCamera(name: "sony", available: ["canon", "nikon"]))
            #expect(error.description.contains("'sony'") && error.description.contains("canon, nikon"))
        }
    }

    @Test("model.json keeps its keys: base mappings and exposures per direction, the preset by name")
    func modelJSONKeys() throws {
        let network = try randomNetwork(InferenceTests.tinyDefault)
        let folder = SyntheticDataset.modelFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try network.save(to: folder)
        let data = try Data(contentsOf: folder.appendingPathComponent(Raw2RawNetwork.descriptionFileName))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(json["baseMappingAToB"] != nil && json["baseMappingBToA"] != nil)
        #expect((json["configuration"] as? [String: Any])?["preset"] as? String == "default")
        let description = try Raw2RawNetwork.readDescription(folder)
        #expect(description.baseMappings == network.baseMappings)
        #expect(description.targetExposures == network.targetExposures)
    }
}

@Suite("Model and training errors")
struct ErrorAPITests {
    @Test("every model error's message names its file or camera", arguments: [
        ModelError.modelFile(path: "/m/model.json", reason: "no such file"),
        .weights(.missingTensor(path: "/m/model.safetensors", name: "encoderA.levels.0.conv1.weight")),
        .nonFiniteWeight(path: "/m/model.safetensors", parameter: "contextAB.mlp.0.weight"),
        .imageFile(.fileNotFound(path: "/m/in.dng")),
        .unsupportedImageFile(path: "/m/in.png"),
        .outputOverwritesInput(path: "/m/in.dng"),
    ])
    func modelErrorsNameTheFile(error: ModelError) {
        #expect(error.description.contains("/m/"), "\(error.description)")
    }

    @Test("a model file with a NaN weight is refused with the weight and the file named")
    func nonFiniteStoredWeight() throws {
        let network = try randomNetwork(InferenceTests.tinyDefault)
        let folder = SyntheticDataset.modelFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let parameter = try #require(network.namedParameters().first { $0.name.hasPrefix("context") })
        parameter.parameter.assign(Tensor(shape: parameter.parameter.shape, repeating: .nan))
        try network.save(to: folder)
        let weights = folder.appendingPathComponent(Raw2RawNetwork.weightsFileName).path
        #expect(throws: ModelError.nonFiniteWeight(path: weights, parameter: parameter.name)) {
            try Raw2RawNetwork(contentsOf: folder)
        }
        let message = ModelError.nonFiniteWeight(path: weights, parameter: parameter.name).description
        #expect(message.contains(weights) && message.contains(parameter.name))
    }

    @Test("a bad gradient and a bad weight are different cases with different messages")
    func gradientAndWeightDiffer() {
        let gradient = TrainingError.nonFiniteGradient(step: 7, parameter: "decoderB.out.weight", terms: ["mapping": 0.1],
                                                       lastCheckpoint: "/m/checkpoints/step-00000005")
        let weight = TrainingError.nonFiniteWeight(step: 7, parameter: "decoderB.out.weight", lastCheckpoint: nil)
        let loss = TrainingError.nonFiniteLoss(step: 7, terms: ["mapping": .nan], lastCheckpoint: nil)
        #expect(gradient != weight)
        #expect(Set([gradient.description, weight.description, loss.description]).count == 3)
        #expect(gradient.description.contains("gradient of decoderB.out.weight") && gradient.description.contains("step 7"))
        #expect(gradient.description.contains("/m/checkpoints/step-00000005"))
        #expect(weight.description.contains("weight decoderB.out.weight is not finite") && !weight.description.contains("gradient"))
        #expect(weight.description.contains("no checkpoint had been written"))
    }

    @Test("a base mapping that cannot be fitted is a typed calibration error naming the direction")
    func baseMappingError() {
        let flat = PackedImage(height: 8, width: 8, values: [Float](repeating: 0.5, count: 256))
        do {
            _ = try BaseSelection.select([.plain(.linear4x4)], sources: [flat, flat], targets: [flat, flat], readings: nil,
                                        options: FitOptions(seed: 1), validationPixels: 64, direction: .bToA)
            Issue.record("a constant image gave a full-rank fit")
        } catch {
            guard case .baseMapping(let direction, let kind, let calibration) = error else { Issue.record("\(error)"); return }
            #expect(direction == .bToA && kind == .linear4x4)
            #expect(error.description.contains("B->A") && error.description.contains(calibration.description))
        }
    }

    @Test("training wraps model file errors, keeping their message")
    func wrapsModelError() {
        let inner = ModelError.modelFile(path: "/m/checkpoints", reason: "cannot create the folder: permission denied")
        #expect(TrainingError.model(inner).description == inner.description)
        #expect(TrainingError.model(inner).description.contains("/m/checkpoints"))
    }
}
