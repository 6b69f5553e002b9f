import Foundation
import RawIO
import Testing
@testable import Raw2RawModel

/// A tiny model folder and `.mat` inputs of several sizes, in a fresh temporary folder.
struct BatchFixture {
    let root: URL
    let model: URL
    let inputFolder: URL
    let inputs: [URL]

    init(count: Int = 9) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("raw2raw-batch-\(UUID().uuidString)")
        model = root.appendingPathComponent("model")
        inputFolder = root.appendingPathComponent("inputs")
        try FileManager.default.createDirectory(at: inputFolder, withIntermediateDirectories: true)
        try randomNetwork(InferenceTests.tinyDefault).save(to: model)
        let folder = inputFolder
        inputs = try (0..<count).map { i in
            let url = folder.appendingPathComponent(String(format: "shot-%02d.mat", i))
            try testImage(height: 20 + 4 * (i % 3), width: 24 + 6 * (i % 4), seed: UInt64(i + 1)).writeMAT(to: url)
            return url
        }
    }

    func remove() { try? FileManager.default.removeItem(at: root) }

    /// The files in `folder` by name, with their bytes.
    static func contents(of folder: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            files[name] = try Data(contentsOf: folder.appendingPathComponent(name))
        }
        return files
    }

    /// Inode and modification time of every file in `folder`, by name.
    static func identities(of folder: URL) throws -> [String: String] {
        var result: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            let a = try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent(name).path)
            let inode = (a[.systemFileNumber] as? NSNumber)?.uint64Value ?? 0
            let date = (a[.modificationDate] as? Date)?.timeIntervalSinceReferenceDate ?? 0
            result[name] = "\(inode)@\(date)"
        }
        return result
    }
}

@Suite("Batch mapping: shards, skipping, jobs")
struct BatchMappingTests {
    @Test("shards parse from I/N and reject bad values with a clear message")
    func parsing() throws {
        #expect(try Shard.parse("2/5") == Shard(index: 2, count: 5))
        #expect(try Shard.parse(" 0 / 1 ") == .all)
        #expect(Shard.all.description == "0/1")
        for bad in ["", "3", "1/", "/2", "a/b", "1/2/3", "2/2", "-1/3", "0/0", "1.5/3"] {
            #expect(throws: BatchMappingError.self, "\(bad)") { try Shard.parse(bad) }
        }
        do { _ = try Shard.parse("4/4"); Issue.record("accepted 4/4") } catch {
            #expect(error.description.contains("between 0 and 3"))
        }
    }

    @Test("--shard auto: Slurm arrays (with an offset), Kubernetes Indexed Jobs, and clear errors")
    func environment() throws {
        // Slurm: ID minus MIN, of COUNT; MIN defaults to 0.
        #expect(try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "6", "SLURM_ARRAY_TASK_MIN": "4", "SLURM_ARRAY_TASK_COUNT": "3"])
                == Shard(index: 2, count: 3))
        #expect(try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "3"]) == Shard(index: 1, count: 3))
        #expect(try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "3"], count: 2) == Shard(index: 1, count: 2))
        // Kubernetes: the index and a count from the argument or RAW2RAW_SHARD_COUNT.
        #expect(try Shard.fromEnvironment(["JOB_COMPLETION_INDEX": "3"], count: 4) == Shard(index: 3, count: 4))
        #expect(try Shard.fromEnvironment(["JOB_COMPLETION_INDEX": "0", "RAW2RAW_SHARD_COUNT": "2"]) == Shard(index: 0, count: 2))
        let failures: [([String: String], String)] = [
            ([:], "SLURM_ARRAY_TASK_ID"),
            (["JOB_COMPLETION_INDEX": "1"], "RAW2RAW_SHARD_COUNT"),
            (["JOB_COMPLETION_INDEX": "x", "RAW2RAW_SHARD_COUNT": "2"], "JOB_COMPLETION_INDEX='x'"),
            (["JOB_COMPLETION_INDEX": "2", "RAW2RAW_SHARD_COUNT": "2"], "between 0 and 1"),
            (["SLURM_ARRAY_TASK_ID": "3"], "SLURM_ARRAY_TASK_COUNT"),
            (["SLURM_ARRAY_TASK_ID": "8", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_COUNT": "5"], "contiguous"),  // --array=0-8:2
            (["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "5"], "contiguous"),
        ]
        for (environment, message) in failures {
            do { _ = try Shard.fromEnvironment(environment); Issue.record("accepted \(environment)") } catch {
                #expect(error.description.contains(message), "\(error)")
            }
        }
    }

    @Test("every name is in exactly one shard, whatever the input order; shards are roughly even")
    func partition() throws {
        let names = (0..<600).map { "IMG_\($0).dng" }
        for n in [1, 2, 3, 7] {
            let shards = try (0..<n).map { try Shard(index: $0, count: n) }
            for name in names { #expect(shards.filter { $0.contains(fileName: name) }.count == 1) }
            let urls = names.map { URL(fileURLWithPath: "/data/\($0)") }
            var g = SeededGenerator(seed: 3)
            let shuffled = urls.shuffled(using: &g)
            for shard in shards {
                let picked = shard.select(urls)
                #expect(Set(picked) == Set(shard.select(shuffled)))           // independent of order
                #expect(Set(picked.map(\.lastPathComponent)) == Set(shard.select(urls.map { URL(fileURLWithPath: "/elsewhere/\($0.lastPathComponent)") }).map(\.lastPathComponent)))
                #expect(Double(picked.count) > 0.7 * Double(names.count) / Double(n))
            }
        }
        // The hash is part of the file format of a sharded batch: it must never change.
        // FNV-1a mixed by SplitMix64 (checked against an independent implementation): a file keeps
        // its shard across releases, so a batch can be continued by a newer raw2raw.
        #expect((0..<9).map { Shard.index(ofFileName: String(format: "shot-%02d.mat", $0), count: 3) } == [2, 2, 1, 2, 2, 1, 0, 0, 0])
        #expect((0..<9).map { Shard.index(ofFileName: String(format: "shot-%02d.mat", $0), count: 2) } == [1, 1, 0, 1, 1, 1, 0, 1, 0])
    }

    @Test("two inputs with the same file name are rejected before anything is mapped")
    func duplicates() throws {
        let batch = BatchMapping(direction: .aToB, outputFolder: URL(fileURLWithPath: "/nonexistent/out"))
        let inputs = [URL(fileURLWithPath: "/a/x.mat"), URL(fileURLWithPath: "/b/y.mat"), URL(fileURLWithPath: "/b/x.mat")]
        #expect(throws: BatchMappingError.duplicateFileName(name: "x.mat", paths: ["/a/x.mat", "/b/x.mat"])) { try batch.plan(inputs) }
    }

    @Test("jobs 2 writes the same bytes as jobs 1; skip-existing rewrites nothing and clears leftover temporaries")
    func jobsAndSkipping() throws {
        let f = try BatchFixture()
        defer { f.remove() }
        let inputs = try BatchMapping.inputFiles([f.inputFolder])
        #expect(inputs == f.inputs)
        let one = f.root.appendingPathComponent("one"), two = f.root.appendingPathComponent("two")
        let progress = ProgressLog()
        let r1 = try BatchMapping(direction: .aToB, outputFolder: one, tiling: TilingOptions(tileSize: 16), jobs: 1)
            .run(inputs, modelFolder: f.model) { progress.append($0) }
        let r2 = try BatchMapping(direction: .aToB, outputFolder: two, tiling: TilingOptions(tileSize: 16), jobs: 2)
            .run(inputs, modelFolder: f.model)
        #expect(r1.mapped.count == inputs.count && r2.mapped.count == inputs.count && r1.failures.isEmpty && r2.failures.isEmpty)
        #expect(r2.mapped == inputs.map { two.appendingPathComponent($0.lastPathComponent) })   // input order
        #expect(try BatchFixture.contents(of: one) == BatchFixture.contents(of: two))
        #expect(progress.values.map(\.completed) == Array(1...inputs.count))
        #expect(progress.values.allSatisfy { $0.total == inputs.count && $0.remainingSeconds >= 0 })

        // A killed run: one output missing, temporaries of a file of this batch and of another file.
        let before = try BatchFixture.identities(of: two)
        try FileManager.default.removeItem(at: two.appendingPathComponent("shot-04.mat"))
        let leftover = two.appendingPathComponent(".shot-04.mat.\(UUID().uuidString).tmp")
        let foreign = two.appendingPathComponent(".other.mat.\(UUID().uuidString).tmp")
        try Data([1, 2, 3]).write(to: leftover)
        try Data([1, 2, 3]).write(to: foreign)
        let batch = BatchMapping(direction: .aToB, outputFolder: two, tiling: TilingOptions(tileSize: 16), skipExisting: true, jobs: 2)
        let plan = try batch.plan(inputs)
        #expect(plan.toMap == [f.inputFolder.appendingPathComponent("shot-04.mat")] && plan.skipped.count == inputs.count - 1)
        #expect(plan.leftoverTemporaryFiles == [leftover])
        let rerun = try batch.run(inputs, modelFolder: f.model)
        #expect(rerun.mapped == [two.appendingPathComponent("shot-04.mat")])
        #expect(!FileManager.default.fileExists(atPath: leftover.path) && FileManager.default.fileExists(atPath: foreign.path))
        try FileManager.default.removeItem(at: foreign)
        let after = try BatchFixture.identities(of: two)
        #expect(after.filter { $0.key != "shot-04.mat" } == before.filter { $0.key != "shot-04.mat" })
        #expect(try BatchFixture.contents(of: one) == BatchFixture.contents(of: two))
        // Nothing left to do: the network is not even loaded.
        let nothing = try batch.run(inputs, network: { () throws(ModelError) -> Raw2RawNetwork in
            throw ModelError.modelFile(path: "unused", reason: "must not be loaded")
        })
        #expect(nothing.mapped.isEmpty && nothing.plan.skipped.count == inputs.count)
        #expect(try BatchFixture.identities(of: two) == after)
    }

    @Test("shards together map every input once, byte-identical to one unsharded run; a bad file fails alone")
    func shardsTogether() throws {
        let f = try BatchFixture()
        defer { f.remove() }
        let bad = f.inputFolder.appendingPathComponent("broken.mat")
        try Data("not a mat file".utf8).write(to: bad)
        let inputs = try BatchMapping.inputFiles([f.inputFolder])
        let whole = f.root.appendingPathComponent("whole"), sharded = f.root.appendingPathComponent("sharded")
        let all = try BatchMapping(direction: .bToA, outputFolder: whole).run(inputs, modelFolder: f.model)
        #expect(all.failures.map(\.input) == [bad] && all.failures[0].error.description.contains("broken.mat"))
        var mapped: [URL] = []
        for i in 0..<3 {
            var g = SeededGenerator(seed: UInt64(i))
            let report = try BatchMapping(direction: .bToA, outputFolder: sharded, shard: try Shard(index: i, count: 3))
                .run(inputs.shuffled(using: &g), modelFolder: f.model)
            mapped += report.mapped
        }
        #expect(mapped.count == inputs.count - 1 && Set(mapped.map(\.lastPathComponent)).count == mapped.count)
        #expect(try BatchFixture.contents(of: whole) == BatchFixture.contents(of: sharded))
    }

    @Test("a cancelled batch stops between files with its typed error")
    func cancellation() async throws {
        let f = try BatchFixture(count: 4)
        defer { f.remove() }
        let out = f.root.appendingPathComponent("out")
        let task = Task.detached {
            withUnsafeCurrentTask { $0?.cancel() }
            return Result { () throws(BatchMappingError) in try BatchMapping(direction: .aToB, outputFolder: out).run(f.inputs, modelFolder: f.model) }
        }
        let result = await task.value
        #expect(throws: BatchMappingError.cancelled(completed: 0, total: 4)) { try result.get() }
    }
}

/// Progress reports collected from the jobs' threads.
final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [BatchMappingProgress] = []
    func append(_ p: BatchMappingProgress) { lock.withLock { items.append(p) } }
    var values: [BatchMappingProgress] { lock.withLock { items } }
}
