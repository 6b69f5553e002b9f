import Foundation
import Testing
@testable import Robustness

/// The quick pass of the robustness harness: a few hundred seeded mutations of every input
/// format, each of which must end in a typed error or a checked result. The long pass
/// (`scripts/robustness.sh`, Documentation/Reliability.md) runs the same cases by the thousand.
@Suite("Robustness quick pass: mutated inputs end in typed errors or checked results")
struct QuickPassTests {
    /// Cases per format; 7 formats.
    static let casesPerFormat = 45

    @Test("every format's seeded mutations", arguments: RobustnessFormat.allCases)
    func quickPass(format: RobustnessFormat) throws {
        let harness = try RobustnessHarness()
        var outcomes: [String: Int] = [:]
        for index in 0..<Self.casesPerFormat {
            let c = try harness.makeCase(format: format, seed: 2024, index: index)
            let outcome = harness.run(c)
            #expect(!outcome.isFinding, "\(format.rawValue) case \(index) (\(c.seedName): \(c.mutation)): \(outcome.summary)")
            outcomes[outcome == .accepted ? "ok" : "error", default: 0] += 1
        }
        // The mutations must reach the readers' error paths; most seeds also survive some of them.
        #expect(outcomes["error", default: 0] > 0, "\(format.rawValue): no case was rejected")
        // Every case folder (and the seeds' scratch folder) is removed again.
        #expect(try FileManager.default.contentsOfDirectory(atPath: harness.workFolder.path).isEmpty)
    }

    @Test("the built-in seeds are read without error")
    func seedsAreValid() throws {
        let harness = try RobustnessHarness()
        for format in RobustnessFormat.allCases {
            for seed in try harness.seeds(for: format) {
                let c = RobustnessCase(format: format, seed: 0, index: 0, seedName: seed.name, mutation: "none",
                                       bytes: seed.bytes, companions: seed.companions)
                #expect(harness.run(c) == .accepted, "\(format.rawValue) seed \(seed.name)")
            }
        }
    }

    @Test("a case is the same file for the same seed and index")
    func reproducible() throws {
        let harness = try RobustnessHarness()
        for format in RobustnessFormat.allCases {
            let a = try harness.makeCase(format: format, seed: 9, index: 17)
            let b = try harness.makeCase(format: format, seed: 9, index: 17)
            let other = try harness.makeCase(format: format, seed: 9, index: 18)
            #expect(a.bytes == b.bytes && a.mutation == b.mutation)
            #expect(a.bytes != other.bytes || a.mutation != other.mutation)
        }
    }

    @Test("structure-aware mutators find the fields of each seed")
    func fieldsFound() throws {
        let harness = try RobustnessHarness()
        let dng = try harness.seeds(for: .dng)[0].bytes
        let tiff = Mutator.tiffFields(dng).fields.map(\.label)
        #expect(tiff.contains { $0.hasSuffix("tag 256 count") })  // ImageWidth
        #expect(tiff.contains { $0.contains(".sub34665") })          // the EXIF sub-IFD
        let mat = Mutator.matFields(try harness.seeds(for: .mat)[0].bytes).fields.map(\.label)
        #expect(mat.contains("element 0 dimensions [2]"))
        let json = try #require(JSONText.parse(try harness.seeds(for: .manifest)[0].bytes))
        #expect(json.paths().map(json.describe).contains("settings.cameras[1].bitDepth"))
    }

    /// Inputs that once crashed a reader or the code after it, fixed since.
    @Test("regressions: a model.json whose exposure meter reads a percentile outside (0, 1] is rejected, not a crash when mapping")
    func percentileOutOfRange() throws {
        let harness = try RobustnessHarness()
        let seed = try #require(try harness.seeds(for: .modelJSON).first { $0.name == "residual-4-8" })
        for (value, field) in [("5", "\"_0\" : 0.98"), ("-3", "\"strength\" : 0.8")] {
            let text = try #require(String(bytes: seed.bytes, encoding: .utf8))
            #expect(text.contains(field))
            let bad = text.replacingOccurrences(of: field, with: field.replacingOccurrences(of: field.split(separator: " ").last!, with: value))
            let c = RobustnessCase(format: .modelJSON, seed: 0, index: 0, seedName: seed.name, mutation: "\(field) -> \(value)",
                                   bytes: Array(bad.utf8), companions: seed.companions)
            #expect(harness.run(c) == .rejected("ModelError.modelFile"), "\(field) -> \(value)")
        }
    }
}
