import Foundation
import RawIO
import Testing
@testable import RawSynthesis

@Suite struct InMemorySynthesisTests {
    @Test("rendering into memory gives the pixels and names the written dataset holds", arguments: SyntheticDatasetFormat.allCases)
    func renderEqualsFiles(_ format: SyntheticDatasetFormat) throws {
        let data = try SpectralData.bundled()
        let gen = SyntheticDatasetGenerator(configuration: SyntheticDatasetTests.configuration(data, format: format), data: data)
        let root = SyntheticDatasetTests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        try gen.generate(into: root)
        var reports: [SyntheticDatasetProgress] = []
        let images = try gen.render { reports.append($0) }
        #expect(reports.map(\.file) == SyntheticDatasetTests.expectedFiles.map { "\($0).\(format.fileExtension)" })
        #expect(images.cameraA == "iphonex-like" && images.cameraB == "s9-like")

        let layout = try DatasetLayout(root: root)
        let files: [(PackedImageSet, PackedImageSet)] = [
            (try layout.unpaired(camera: "iphonex-like"), images.unpairedA),
            (try layout.unpaired(camera: "s9-like"), images.unpairedB),
            (try layout.anchorPairs(cameraA: "iphonex-like", cameraB: "s9-like").setA, images.anchors.setA),
            (try layout.anchorPairs(cameraA: "iphonex-like", cameraB: "s9-like").setB, images.anchors.setB),
            (try layout.testPairs(cameraA: "iphonex-like", cameraB: "s9-like").setA, images.test.setA),
            (try layout.testPairs(cameraA: "iphonex-like", cameraB: "s9-like").setB, images.test.setB),
        ]
        for (onDisk, inMemory) in files {
            #expect(inMemory.isInMemory)
            #expect(onDisk.names == inMemory.names)
            for i in 0..<onDisk.count { #expect(try onDisk.image(at: i) == inMemory.image(at: i), "\(onDisk.names[i])") }
        }
        #expect(images.test.names == ["test_0000", "test_0001"] && images.unpairedB.names == ["unpaired_0000_B", "unpaired_0001_B"])
    }

    @Test("cancelled synthesis leaves whole files only, an incomplete manifest, and a rerun completes the same dataset")
    func cancelledGenerationResumes() async throws {
        let data = try SpectralData.bundled()
        let gen = SyntheticDatasetGenerator(configuration: SyntheticDatasetTests.configuration(data), data: data)
        let root = SyntheticDatasetTests.temporaryFolder(), reference = SyntheticDatasetTests.temporaryFolder()
        defer {
            try? FileManager.default.removeItem(at: root)
            try? FileManager.default.removeItem(at: reference)
        }
        let task = Task.detached {
            try gen.generate(into: root) { p in
                if p.completed == 3 { withUnsafeCurrentTask { $0?.cancel() } }
            }
        }
        await #expect(throws: SyntheticDatasetError.cancelled(completed: 3, total: 10)) { try await task.value }
        let written = try FileManager.default.subpathsOfDirectory(atPath: root.path)
        #expect(written.filter { $0.hasSuffix(".mat") }.count == 3)
        #expect(!written.contains { $0.hasSuffix(".tmp") || $0.contains(".partial-") })
        let manifest = try JSONDecoder().decode(SyntheticDatasetManifest.self,
                                                from: Data(contentsOf: root.appendingPathComponent("dataset.json")))
        #expect(!manifest.complete)

        var kept = 0
        let final = try gen.generate(into: root) { if $0.skipped { kept += 1 } }
        #expect(kept == 3 && final.complete)
        try gen.generate(into: reference)
        #expect(try SyntheticDatasetTests.contents(of: root) == SyntheticDatasetTests.contents(of: reference))
    }

    @Test("cancelled in-memory rendering throws the typed error")
    func cancelledRender() async throws {
        let data = try SpectralData.bundled()
        let gen = SyntheticDatasetGenerator(configuration: SyntheticDatasetTests.configuration(data), data: data)
        let task = Task.detached {
            try gen.render { p in
                if p.completed == 4 { withUnsafeCurrentTask { $0?.cancel() } }
            }
        }
        await #expect(throws: SyntheticDatasetError.cancelled(completed: 4, total: 10)) { try await task.value }
    }
}
