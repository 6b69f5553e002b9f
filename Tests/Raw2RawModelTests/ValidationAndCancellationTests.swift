import Foundation
import RawIO
import RawSupport
import Testing
@testable import Raw2RawModel

@Suite("Validation path and cancellation", .serialized)
struct ValidationAndCancellationTests {
    @Test("validation PSNR is the PSNR of network.map on the validation pair; the baseline is the base with its exposure step")
    func validationMatchesInference() throws {
        let ds = SyntheticDataset(unpaired: 6, anchors: 4, tests: 2, size: 48)
        let out = SyntheticDataset.modelFolder()
        defer { ds.remove(); try? FileManager.default.removeItem(at: out) }
        let c = TrainingConfiguration.tiny(.default, steps: 10)
        #expect(c.monitoring.validationCrop >= 48, "the crop must be the whole image for network.map to see the same input")
        let trainer = try Trainer(configuration: c, data: ds.trainingData(), modelDirectory: out)
        for _ in 0..<c.optimization.steps { try trainer.trainStep() }
        let v = try #require(try trainer.validate())
        let tests = try ds.layout.testPairs(cameraA: "A", cameraB: "B")
        #expect(v.pairCount == tests.count)
        let network = trainer.network
        let ab = try meanPSNR(tests) { network.map($0, direction: .aToB) }
        let ba = try meanPSNR(tests.swapped) { network.map($0, direction: .bToA) }
        #expect(abs(v.psnrAToB - ab) < 1e-4, "validation \(v.psnrAToB) dB, network.map \(ab) dB")
        #expect(abs(v.psnrBToA - ba) < 1e-4, "validation \(v.psnrBToA) dB, network.map \(ba) dB")
        // The baseline: the least-squares base, then the target-exposure step (metered on the
        // unclipped base output), then clipping, written out independently of the mapping path.
        func baseAlone(_ image: PackedImage, _ direction: MappingDirection) -> PackedImage {
            let y = network.base(from: direction.source).evaluator.applyUnclipped(to: image)
            let g = Float(network.targetExposures[direction]?.gain(for: y) ?? 1)
            return PackedImage(height: y.height, width: y.width, values: y.values.map { Numerics.clipUnit($0 * g) })
        }
        let baseAB = try meanPSNR(tests) { baseAlone($0, .aToB) }
        let baseBA = try meanPSNR(tests.swapped) { baseAlone($0, .bToA) }
        #expect(abs(v.basePSNRAToB - baseAB) < 1e-4, "validation baseline \(v.basePSNRAToB) dB, base with exposure \(baseAB) dB")
        #expect(abs(v.basePSNRBToA - baseBA) < 1e-4, "validation baseline \(v.basePSNRBToA) dB, base with exposure \(baseBA) dB")
    }

    @Test("cancelling the task that runs a trainer stops it with .cancelled; the newest checkpoint resumes")
    func cancellation() async throws {
        let ds = SyntheticDataset(unpaired: 5, anchors: 3, tests: 0, size: 48)
        let out = SyntheticDataset.modelFolder()
        defer { ds.remove(); try? FileManager.default.removeItem(at: out) }
        var configuration = TrainingConfiguration.tiny(.default, steps: 100_000)
        configuration.monitoring.checkpointInterval = 2
        let c = configuration
        let data = try ds.trainingData()
        let (steps, continuation) = AsyncStream<Int>.makeStream()
        let task = Task.detached { () -> Result<Int, TrainingError> in
            defer { continuation.finish() }
            do throws(TrainingError) {
                let trainer = try Trainer(configuration: c, data: data, modelDirectory: out)
                return .success(try trainer.run { continuation.yield($0.step) }.steps)
            } catch {
                return .failure(error)
            }
        }
        for await step in steps where step >= 3 { break }
        task.cancel()
        let result = await task.value
        guard case .failure(.cancelled(let step, let last)) = result else {
            Issue.record("expected .cancelled, got \(result)")
            return
        }
        #expect(step >= 3 && step < c.optimization.steps)
        let checkpoint = try #require(last)
        #expect(URL(fileURLWithPath: checkpoint).lastPathComponent == String(format: "step-%08d", step - step % 2))
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("model.json").path), "a cancelled run writes no model")
        #expect(!checkpointEntries(out).contains { $0.hasPrefix(".") }, "no partial checkpoint is left")
        let resumed = try Trainer(configuration: c, data: data, modelDirectory: out, resume: true)
        #expect(resumed.step == step - step % 2)
        #expect(resumed.lastCheckpoint?.lastPathComponent == URL(fileURLWithPath: checkpoint).lastPathComponent)
        try resumed.trainStep()
        #expect(resumed.step == step - step % 2 + 1)
    }
}
