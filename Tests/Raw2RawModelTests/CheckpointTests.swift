import Foundation
import RawIO
import RawTensor
import Testing
@testable import Raw2RawModel

/// All parameter values of a network, by name.
func weights(_ network: Raw2RawNetwork) -> [String: [Float]] {
    Dictionary(uniqueKeysWithValues: network.namedParameters().map { ($0.name, $0.parameter.value.scalars) })
}

/// The names of the entries of a model folder's `checkpoints/`.
func checkpointEntries(_ folder: URL) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("checkpoints").path)) ?? []).sorted()
}

@Suite("Checkpoints and resumption", .serialized)
struct CheckpointTests {
    static func config(steps: Int = 12, seed: UInt64 = 3) -> TrainingConfiguration {
        var c = TrainingConfiguration.tiny(.default, steps: steps)
        c.monitoring.checkpointInterval = 4
        c.monitoring.keepCheckpoints = 3
        c.seed = seed
        c.sampling.residentImages = 3      // exercise the pool swaps
        c.sampling.poolRefreshInterval = 2
        return c
    }

    @Test("the same seed gives the same run, bit for bit; another seed another run")
    func sameSeedSameRun() throws {
        let ds = SyntheticDataset(unpaired: 5, anchors: 3, tests: 0, size: 48)
        let out1 = SyntheticDataset.modelFolder(), out2 = SyntheticDataset.modelFolder(), out3 = SyntheticDataset.modelFolder()
        defer { ds.remove(); for o in [out1, out2, out3] { try? FileManager.default.removeItem(at: o) } }
        func losses(_ c: TrainingConfiguration, _ out: URL) throws -> ([LossTerms], [String: [Float]]) {
            let t = try Trainer(configuration: c, data: ds.trainingData(), modelDirectory: out)
            var l: [LossTerms] = []
            try t.run { l.append($0.losses) }
            return (l, weights(t.network))
        }
        let (l1, w1) = try losses(Self.config(steps: 6), out1)
        let (l2, w2) = try losses(Self.config(steps: 6), out2)
        let (l3, _) = try losses(Self.config(steps: 6, seed: 4), out3)
        #expect(l1 == l2)
        #expect(w1 == w2)
        #expect(l1 != l3)
    }

    @Test("resuming from a checkpoint gives the losses and weights of an uninterrupted run")
    func resumeEquivalence() throws {
        let ds = SyntheticDataset(unpaired: 5, anchors: 3, tests: 2, size: 48)
        let full = SyntheticDataset.modelFolder(), split = SyntheticDataset.modelFolder()
        defer { ds.remove(); try? FileManager.default.removeItem(at: full); try? FileManager.default.removeItem(at: split) }
        var c = Self.config()
        c.monitoring.validationInterval = 4
        c.monitoring.validationCrop = 32
        let uninterrupted = try Trainer(configuration: c, data: ds.trainingData(), modelDirectory: full)
        var expected: [LossTerms] = []
        try uninterrupted.run { expected.append($0.losses) }

        // A run killed after step 6: its last checkpoint is the one of step 4.
        let first = try Trainer(configuration: c, data: ds.trainingData(), modelDirectory: split)
        var seen: [LossTerms] = []
        while first.step < 6 {
            seen.append(try first.trainStep())
            if first.step % c.monitoring.checkpointInterval == 0 { try first.writeCheckpoint() }
        }
        #expect(seen == Array(expected.prefix(6)))
        #expect(checkpointEntries(split) == ["step-00000004"])

        let resumed = try Trainer(configuration: c, data: ds.trainingData(), modelDirectory: split, resume: true)
        #expect(resumed.step == 4)
        #expect(resumed.notes.contains { $0.contains("resumed from") })
        var rest: [LossTerms] = []
        try resumed.run { rest.append($0.losses) }
        #expect(rest == Array(expected.suffix(8)))
        #expect(weights(resumed.network) == weights(uninterrupted.network))
        #expect(resumed.lastValidation == uninterrupted.lastValidation)
        // The final model folders hold the same weights.
        #expect(weights(try Raw2RawNetwork(contentsOf: split)) == weights(try Raw2RawNetwork(contentsOf: full)))
    }

    @Test("resuming refuses another configuration or other data, naming what changed")
    func resumeIncompatible() throws {
        let ds = SyntheticDataset(unpaired: 4, anchors: 2, tests: 0, size: 48)
        let out = SyntheticDataset.modelFolder()
        defer { ds.remove(); try? FileManager.default.removeItem(at: out) }
        let t = try Trainer(configuration: Self.config(steps: 4), data: ds.trainingData(), modelDirectory: out)
        try t.run()
        var other = Self.config(steps: 4)
        other.optimization.learningRate *= 2
        do {
            _ = try Trainer(configuration: other, data: ds.trainingData(), modelDirectory: out, resume: true)
            Issue.record("resumed with another learning rate")
        } catch {
            guard case .incompatibleCheckpoint(_, let reason) = error else { Issue.record("\(error)"); return }
            #expect(reason.contains("learningRate"))
        }
        var data = try ds.trainingData()
        data.unpairedA = data.unpairedA.subset([0, 1])
        do {
            _ = try Trainer(configuration: Self.config(steps: 4), data: data, modelDirectory: out, resume: true)
            Issue.record("resumed on other data")
        } catch {
            guard case .incompatibleCheckpoint(_, let reason) = error else { Issue.record("\(error)"); return }
            #expect(reason.contains("ua2") && reason.contains("ua3"))
        }
        // A longer run may resume (with a note), and an empty folder starts afresh.
        let longer = try Trainer(configuration: Self.config(steps: 8), data: ds.trainingData(), modelDirectory: out, resume: true)
        #expect(longer.step == 4 && longer.notes.contains { $0.contains("run length changed") })
        let fresh = try Trainer(configuration: Self.config(steps: 4), data: ds.trainingData(),
                                modelDirectory: SyntheticDataset.modelFolder(), resume: true)
        #expect(fresh.step == 0 && fresh.notes.contains { $0.contains("no checkpoint") })
    }

    @Test("a crash while writing a checkpoint keeps the previous one loadable",
          arguments: [CheckpointStore.weightsFile, CheckpointStore.optimizerFile, CheckpointStore.stateFile])
    func crashWhileWriting(file: String) throws {
        let ds = SyntheticDataset(unpaired: 4, anchors: 2, tests: 0, size: 48)
        let out = SyntheticDataset.modelFolder()
        defer { ds.remove(); try? FileManager.default.removeItem(at: out) }
        let c = Self.config(steps: 8)
        let t = try Trainer(configuration: c, data: ds.trainingData(), modelDirectory: out)
        for _ in 0..<4 { try t.trainStep() }
        try t.writeCheckpoint()
        let saved = weights(t.network)
        for _ in 0..<4 { try t.trainStep() }
        t.checkpointFault = { name throws(TrainingError) in
            if name == file { throw TrainingError.checkpoint(path: name, reason: "simulated kill") }
        }
        #expect(throws: TrainingError.checkpoint(path: file, reason: "simulated kill")) { try t.writeCheckpoint() }
        let entries = checkpointEntries(out)
        #expect(entries.contains("step-00000004") && !entries.contains("step-00000008"))
        #expect(entries.contains { $0.hasPrefix(".tmp-step-00000008") })   // what a kill leaves behind

        let resumed = try Trainer(configuration: c, data: ds.trainingData(), modelDirectory: out, resume: true)
        #expect(resumed.step == 4)
        #expect(weights(resumed.network) == saved)
        #expect(checkpointEntries(out) == ["step-00000004"])      // the leftover is cleaned up
    }

    @Test("a damaged newest checkpoint is skipped for the one before it")
    func damagedCheckpoint() throws {
        let ds = SyntheticDataset(unpaired: 4, anchors: 2, tests: 0, size: 48)
        let out = SyntheticDataset.modelFolder()
        defer { ds.remove(); try? FileManager.default.removeItem(at: out) }
        let c = Self.config(steps: 8)
        try Trainer(configuration: c, data: ds.trainingData(), modelDirectory: out).run()
        #expect(checkpointEntries(out) == ["step-00000004", "step-00000008"])
        let weightsFile = out.appendingPathComponent("checkpoints/step-00000008/weights.safetensors")
        let bytes = try Data(contentsOf: weightsFile)
        try bytes.prefix(bytes.count / 2).write(to: weightsFile)
        let resumed = try Trainer(configuration: c, data: ds.trainingData(), modelDirectory: out, resume: true)
        #expect(resumed.step == 4)
        #expect(resumed.notes.contains { $0.contains("skipped the damaged checkpoint step-00000008") && $0.contains(weightsFile.path) })
        #expect(resumed.notes.contains { $0.contains("falling back to the previous intact one, step-00000004") })
    }

    @Test("a NaN loss stops training with a clear error and leaves the last checkpoint as it was")
    func nanStops() throws {
        let ds = SyntheticDataset(unpaired: 4, anchors: 2, tests: 0, size: 48)
        let out = SyntheticDataset.modelFolder()
        defer { ds.remove(); try? FileManager.default.removeItem(at: out) }
        let c = Self.config(steps: 8)
        let t = try Trainer(configuration: c, data: ds.trainingData(), modelDirectory: out)
        for _ in 0..<4 { try t.trainStep() }
        let checkpoint = try t.writeCheckpoint()
        let files = [CheckpointStore.weightsFile, CheckpointStore.optimizerFile, CheckpointStore.stateFile]
        let before = try files.map { try Data(contentsOf: checkpoint.appendingPathComponent($0)) }
        // A parameter the default mapping uses (its U-Net pair is not evaluated without the pixel residual).
        let parameter = try #require(t.network.namedParameters().first { $0.name.hasPrefix("context") }).parameter
        parameter.assign(Tensor(shape: parameter.shape, repeating: .nan))
        do {
            try t.run()
            Issue.record("training went on with a NaN weight")
        } catch {
            guard case .nonFiniteLoss(let step, _, let last) = error else { Issue.record("\(error)"); return }
            #expect(step == 5)
            #expect(last == checkpoint.path)
            #expect(error.description.contains("step 5") && error.description.contains(checkpoint.path))
        }
        #expect(t.step == 4)
        do {   // never saves NaN weights
            try t.writeCheckpoint()
            Issue.record("a checkpoint was written with a NaN weight")
        } catch {
            guard case .nonFiniteWeight(let step, let name, let last) = error else { Issue.record("\(error)"); return }
            #expect(step == 4 && name.hasPrefix("context") && last == checkpoint.path)
            #expect(error.description.contains("weight \(name) is not finite"))
        }
        #expect(try files.map { try Data(contentsOf: checkpoint.appendingPathComponent($0)) } == before)
        #expect(checkpointEntries(out) == ["step-00000004"])
        let resumed = try Trainer(configuration: c, data: ds.trainingData(), modelDirectory: out, resume: true)
        #expect(resumed.step == 4)
    }

    @Test("NaN pixels in the data stop training at the first step that sees them")
    func nanData() throws {
        let ds = SyntheticDataset(unpaired: 2, anchors: 2, tests: 0, size: 48)
        let out = SyntheticDataset.modelFolder()
        defer { ds.remove(); try? FileManager.default.removeItem(at: out) }
        var data = try ds.trainingData()
        for f in data.unpairedA.files {
            var image = try PackedImage(contentsOfMAT: f.url)
            for i in stride(from: 0, to: image.values.count, by: 7) { image.values[i] = .nan }
            try image.writeMAT(to: f.url)
        }
        data = try ds.trainingData()
        let t = try Trainer(configuration: Self.config(steps: 4), data: data, modelDirectory: out)
        #expect(throws: TrainingError.self) { try t.run() }
        #expect(t.step == 0)
        #expect(checkpointEntries(out).isEmpty)
    }
}
