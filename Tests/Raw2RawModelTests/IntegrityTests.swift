import Foundation
import RawCore
import Testing
@testable import Raw2RawModel

/// Flips one byte of `url` (XOR with a nonzero value) at `position`.
func damage(_ url: URL, at position: Int, with mask: UInt8) throws {
    var bytes = [UInt8](try Data(contentsOf: url))
    bytes[position] ^= mask
    try Data(bytes).write(to: url)
}

@Suite("Model folder and checkpoint integrity", .serialized)
struct IntegrityTests {
    /// The user's experiment of issue 12: a saved model, one damaged byte in one of its files;
    /// no damaged folder may load. 200 seeded cases over model.json and model.safetensors, and a
    /// few in checksums.sha256 itself.
    @Test("no model folder with one damaged byte loads")
    func singleByteDamage() throws {
        let network = try randomNetwork(InferenceTests.tinyDefault)
        let folder = SyntheticDataset.modelFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try network.save(to: folder)
        #expect(try Raw2RawNetwork(contentsOf: folder).integrity == .verified)

        let files = [Raw2RawNetwork.descriptionFileName, Raw2RawNetwork.weightsFileName, Raw2RawNetwork.checksumsFileName]
        let originals = try files.map { try Data(contentsOf: folder.appendingPathComponent($0)) }
        var g = SeededGenerator(seed: 12)
        var loaded: [String] = []
        var cases = 0
        for (f, count) in [(0, 100), (1, 100), (2, 20)] {
            let url = folder.appendingPathComponent(files[f])
            for _ in 0..<count {
                let position = Int(g.next() % UInt64(originals[f].count))
                let mask = UInt8(g.next() % 255 + 1)
                try damage(url, at: position, with: mask)
                cases += 1
                do {
                    _ = try Raw2RawNetwork(contentsOf: folder)
                    loaded.append("\(files[f]) byte \(position) ^ \(mask)")
                } catch {
                    switch error {
                    case .checksumMismatch(let path, let expected, let found):
                        #expect(expected != found)
                        if f < 2 { #expect(path == url.path) }
                        #expect(error.description.contains(path) && error.description.contains("damaged"))
                    case .checksumList(let path, _):
                        #expect(f == 2 && path == url.path, "\(error)")
                    default:
                        Issue.record("\(files[f]) byte \(position): not a checksum error: \(error)")
                    }
                }
                try originals[f].write(to: url)
            }
        }
        #expect(cases == 220)
        #expect(loaded.isEmpty, "loaded despite damage: \(loaded)")
        #expect(try Raw2RawNetwork(contentsOf: folder).integrity == .verified)
    }

    @Test("the checksum list is sha256sum's format, written with the folder")
    func listFormat() throws {
        let network = try randomNetwork(InferenceTests.tinyDefault)
        let folder = SyntheticDataset.modelFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try network.save(to: folder)
        let text = try String(contentsOf: folder.appendingPathComponent("checksums.sha256"), encoding: .utf8)
        let json = SHA256Digest.of(folder.appendingPathComponent("model.json"))
        let weights = SHA256Digest.of(folder.appendingPathComponent("model.safetensors"))
        #expect(text == "\(json)  model.json\n\(weights)  model.safetensors\n")
        #expect(Raw2RawNetwork.recordsChecksums(folder))
        #expect(Raw2RawNetwork(configuration: .default, cameraA: "A", cameraB: "B", seed: 0).integrity == .notLoaded)
    }

    @Test("a folder saved before checksums loads, unverified, with a warning naming it")
    func oldFolderLoads() throws {
        let network = try randomNetwork(InferenceTests.tinyDefault)
        let folder = SyntheticDataset.modelFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try network.save(to: folder)
        try FileManager.default.removeItem(at: folder.appendingPathComponent(Raw2RawNetwork.checksumsFileName))
        #expect(!Raw2RawNetwork.recordsChecksums(folder))
        let loaded = try Raw2RawNetwork(contentsOf: folder)
        #expect(loaded.integrity == .unverified(folder: folder.path))
        let warning = try #require(loaded.integrity.warning)
        #expect(warning.contains(folder.path) && warning.contains("checksums.sha256"))
        #expect(ModelIntegrity.verified.warning == nil)
        let image = testImage(height: 24, width: 24)
        #expect(loaded.map(image, direction: .aToB) == network.map(image, direction: .aToB))
        // Saving again records the checksums.
        try loaded.save(to: folder)
        #expect(try Raw2RawNetwork(contentsOf: folder).integrity == .verified)
    }

    @Test("a damaged checksum list is refused, naming it")
    func damagedList() throws {
        let network = try randomNetwork(InferenceTests.tinyDefault)
        let folder = SyntheticDataset.modelFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try network.save(to: folder)
        let list = folder.appendingPathComponent(Raw2RawNetwork.checksumsFileName)
        let text = try String(contentsOf: list, encoding: .utf8)
        for bad in ["", "nonsense\n", String(text.dropLast()), text.replacingOccurrences(of: "model.json", with: "model.jsom"),
                    text + "0000000000000000000000000000000000000000000000000000000000000000  extra.bin\n",
                    text + text.split(separator: "\n")[0] + "\n"] {
            try Data(bad.utf8).write(to: list)
            do {
                _ = try Raw2RawNetwork(contentsOf: folder)
                Issue.record("loaded with the list \(bad.debugDescription)")
            } catch {
                guard case .checksumList(let path, _) = error else { Issue.record("\(error)"); continue }
                #expect(path == list.path && error.description.contains(list.path))
            }
        }
    }

    @Test("the error cases name the damaged file in a sentence")
    func messages() {
        let mismatch = ModelError.checksumMismatch(path: "/m/model.safetensors", expected: "ab12", found: "cd34")
        #expect(mismatch.description.contains("/m/model.safetensors is damaged"))
        #expect(mismatch.description.contains("ab12") && mismatch.description.contains("cd34"))
        let list = ModelError.checksumList(path: "/m/checksums.sha256", reason: "line 1 is not ...")
        #expect(list.description.contains("/m/checksums.sha256") && list.description.contains("line 1"))
        let none = TrainingError.noIntactCheckpoint(folder: "/m/checkpoints", problems: [.model(mismatch)])
        #expect(none.description.contains("/m/checkpoints") && none.description.contains("/m/model.safetensors"))
    }
}

/// `sha256sum`-style digests for the tests (RawSupport's implementation, tested against FIPS 180-4 in RawCoreTests).
enum SHA256Digest {
    static func of(_ url: URL) -> String {
        (try? Data(contentsOf: url)).map { ChecksumList(files: [("f", $0)]).entries[0].digest } ?? ""
    }
}

@Suite("Checkpoint integrity", .serialized)
struct CheckpointIntegrityTests {
    @Test("a damaged newest checkpoint falls back to the previous intact one, saying so")
    func fallback() throws {
        let ds = SyntheticDataset(unpaired: 4, anchors: 2, tests: 0, size: 48)
        let out = SyntheticDataset.modelFolder()
        defer { ds.remove(); try? FileManager.default.removeItem(at: out) }
        let c = CheckpointTests.config(steps: 8)
        try Trainer(configuration: c, data: ds.trainingData(), modelDirectory: out).run()
        #expect(checkpointEntries(out) == ["step-00000004", "step-00000008"])
        let state = out.appendingPathComponent("checkpoints/step-00000008/state.json")
        // One changed digit of a number: still valid JSON, so only the checksum notices.
        let text = try String(contentsOf: state, encoding: .utf8)
        let key = try #require(text.range(of: "\"seconds\""))
        let found = text[key.upperBound...].firstIndex { $0.isNumber }
        let digit = try #require(found)
        try Data(text.replacingCharacters(in: digit...digit, with: text[digit] == "7" ? "8" : "7").utf8).write(to: state)
        let resumed = try Trainer(configuration: c, data: ds.trainingData(), modelDirectory: out, resume: true)
        #expect(resumed.step == 4)
        #expect(resumed.notes.contains { $0.contains("skipped the damaged checkpoint step-00000008") && $0.contains(state.path) })
        #expect(resumed.notes.contains { $0.contains("falling back to the previous intact one, step-00000004") })
    }

    @Test("when the only checkpoint is damaged, resuming throws naming the damaged file",
          arguments: [CheckpointStore.weightsFile, CheckpointStore.optimizerFile, CheckpointStore.stateFile])
    func onlyCheckpointDamaged(file: String) throws {
        let ds = SyntheticDataset(unpaired: 4, anchors: 2, tests: 0, size: 48)
        let out = SyntheticDataset.modelFolder()
        defer { ds.remove(); try? FileManager.default.removeItem(at: out) }
        let c = CheckpointTests.config(steps: 4)
        try Trainer(configuration: c, data: ds.trainingData(), modelDirectory: out).run()
        #expect(checkpointEntries(out) == ["step-00000004"])
        let url = out.appendingPathComponent("checkpoints/step-00000004/\(file)")
        let size = try Data(contentsOf: url).count
        try damage(url, at: size - 3, with: 0x01)
        do {
            _ = try Trainer(configuration: c, data: ds.trainingData(), modelDirectory: out, resume: true)
            Issue.record("resumed from a damaged checkpoint")
        } catch {
            guard case .noIntactCheckpoint(let folder, let problems) = error else { Issue.record("\(error)"); return }
            #expect(folder == out.appendingPathComponent("checkpoints").path)
            guard problems.count == 1, case .model(.checksumMismatch(let path, _, _)) = problems[0] else {
                Issue.record("\(problems)"); return
            }
            #expect(path == url.path)
            #expect(error.description.contains(url.path))
        }
    }

    @Test("a checkpoint written before checksums resumes unverified, with a note")
    func oldCheckpoint() throws {
        let ds = SyntheticDataset(unpaired: 4, anchors: 2, tests: 0, size: 48)
        let out = SyntheticDataset.modelFolder()
        defer { ds.remove(); try? FileManager.default.removeItem(at: out) }
        let c = CheckpointTests.config(steps: 4)
        try Trainer(configuration: c, data: ds.trainingData(), modelDirectory: out).run()
        try FileManager.default.removeItem(at: out.appendingPathComponent("checkpoints/step-00000004/checksums.sha256"))
        let resumed = try Trainer(configuration: c, data: ds.trainingData(), modelDirectory: out, resume: true)
        #expect(resumed.step == 4)
        #expect(resumed.notes.contains { $0.contains("step-00000004") && $0.contains("unverified") })
    }
}
