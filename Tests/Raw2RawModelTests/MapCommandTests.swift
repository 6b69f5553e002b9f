import Foundation
import Testing
@testable import Raw2RawModel

/// Runs the built `raw2raw` executable: the flags of `raw2raw map` for many files, and the Slurm
/// and Kubernetes recipes of Documentation/Scaling.md with their scripts, as local processes.
@Suite("raw2raw map: shards, recipes, skip-existing, jobs (runs the executable)", .serialized)
struct MapCommandTests {
    /// The package's root folder.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `raw2raw` executable built with the tests: next to the test bundle (or `RAW2RAW_EXECUTABLE`).
    static func executable() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["RAW2RAW_EXECUTABLE"] { return URL(fileURLWithPath: path) }
        var folders = Bundle.allBundles.map { $0.bundleURL.deletingLastPathComponent() }
        if let main = Bundle.main.executableURL { folders.insert(main.deletingLastPathComponent(), at: 0) }
        folders.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        for folder in folders {
            let candidate = folder.appendingPathComponent("raw2raw")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw CLIError("no raw2raw executable next to the test bundle (looked in \(folders.map(\.path))); build it, or set RAW2RAW_EXECUTABLE")
    }

    struct CLIError: Error, CustomStringConvertible {
        let description: String
        init(_ message: String) { description = message }
    }

    /// A finished process.
    struct Outcome {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// The environment of a child process: this one's without any job-array variables, plus `extra`.
    static func environment(_ extra: [String: String]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment.filter {
            !$0.key.hasPrefix("SLURM_") && $0.key != "JOB_COMPLETION_INDEX" && $0.key != "RAW2RAW_SHARD_COUNT"
        }
        env.merge(extra) { $1 }
        return env
    }

    /// Runs several processes at once (`executable arguments`, extra environment) and waits for all.
    static func runAll(_ commands: [(URL, [String], [String: String])], logs: URL) throws -> [Outcome] {
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        var running: [(Process, URL, URL)] = []
        for (executable, arguments, extra) in commands {
            let process = Process()
            process.executableURL = executable
            process.arguments = arguments
            process.environment = environment(extra)
            let id = UUID().uuidString
            let out = logs.appendingPathComponent("\(id).out"), err = logs.appendingPathComponent("\(id).err")
            _ = FileManager.default.createFile(atPath: out.path, contents: nil)
            _ = FileManager.default.createFile(atPath: err.path, contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: out)
            process.standardError = try FileHandle(forWritingTo: err)
            try process.run()
            running.append((process, out, err))
        }
        return try running.map { process, out, err in
            process.waitUntilExit()
            return Outcome(status: process.terminationStatus, stdout: try String(contentsOf: out, encoding: .utf8),
                           stderr: try String(contentsOf: err, encoding: .utf8))
        }
    }

    static func run(_ arguments: [String], logs: URL) throws -> Outcome {
        try runAll([(try executable(), arguments, [:])], logs: logs)[0]
    }

    /// `raw2raw map` of the fixture's whole input folder with `--jobs jobs`, into `folder`.
    static func mapAll(_ f: BatchFixture, into folder: URL, jobs: Int) throws -> Outcome {
        try run(["map", "--model", f.model.path, "--to", "B", "--jobs", "\(jobs)", "-o", folder.path, f.inputFolder.path],
                logs: f.root.appendingPathComponent("logs"))
    }

    /// The input file names a run reports as mapped on standard output.
    static func mappedNames(_ outcome: Outcome) -> [String] {
        outcome.stdout.split(separator: "\n").filter { $0.contains(" -> ") }
            .map { URL(fileURLWithPath: String($0.prefix { $0 != " " })).lastPathComponent }
    }

    @Test("--jobs 2 writes the same bytes as --jobs 1; progress and ETA on stderr; bad flags are validation errors")
    func flags() throws {
        let f = try BatchFixture()
        defer { f.remove() }
        let one = f.root.appendingPathComponent("one"), two = f.root.appendingPathComponent("two")
        let r1 = try Self.mapAll(f, into: one, jobs: 1), r2 = try Self.mapAll(f, into: two, jobs: 2)
        #expect(r1.status == 0 && r2.status == 0, "\(r1.stderr)\(r2.stderr)")
        #expect(Self.mappedNames(r1).sorted() == f.inputs.map(\.lastPathComponent))
        #expect(try BatchFixture.contents(of: one).count == f.inputs.count)
        #expect(try BatchFixture.contents(of: one) == BatchFixture.contents(of: two))
        #expect(r2.stderr.contains("[\(f.inputs.count)/\(f.inputs.count) files]") && r2.stderr.contains("files/s") && r2.stderr.contains("ETA"))

        let logs = f.root.appendingPathComponent("logs")
        let base = ["map", "--model", f.model.path, "--to", "B", "-o", f.root.appendingPathComponent("bad").path, f.inputFolder.path]
        let invalid: [([String], String)] = [
            (["--shard", "3/3"], "between 0 and 2"),
            (["--shard", "two"], "INDEX/COUNT"),
            (["--shard", "auto"], "SLURM_ARRAY_TASK_ID"),
            (["--shard-count", "2"], "--shard auto only"),
            (["--shard", "auto", "--shard-count", "0"], "at least 1"),
            (["--jobs", "0"], "--jobs must be at least 1"),
        ]
        for (flags, message) in invalid {
            let r = try Self.run(base + flags, logs: logs)
            #expect(r.status == 64 && r.stderr.contains(message), "\(flags): \(r.status) \(r.stderr)")
        }
        // Kubernetes' variables with --shard-count.
        let k8s = try Self.runAll([(try Self.executable(), base + ["--shard", "auto", "--shard-count", "3"], ["JOB_COMPLETION_INDEX": "2"])], logs: logs)[0]
        #expect(k8s.status == 0 && Set(Self.mappedNames(k8s)) == Set(f.inputs.filter { try! Shard(index: 2, count: 3).contains($0) }.map(\.lastPathComponent)))
        // Two inputs named alike would overwrite each other: rejected, nothing written.
        let other = f.root.appendingPathComponent("other")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: f.inputs[0], to: other.appendingPathComponent(f.inputs[0].lastPathComponent))
        let dup = try Self.run(["map", "--model", f.model.path, "--to", "B", "-o", f.root.appendingPathComponent("dup").path,
                                f.inputFolder.path, other.path], logs: logs)
        #expect(dup.status != 0 && dup.stderr.contains("would overwrite each other") && dup.stderr.contains(other.path))
        #expect(!FileManager.default.fileExists(atPath: f.root.appendingPathComponent("dup").path))
    }

    /// The lines of `text` between a line ```` ```LANGUAGE ```` followed by `firstLine`, and the closing fence.
    static func codeBlocks(in text: String) -> [String] {
        var blocks: [String] = [], current: [Substring]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") {
                if let c = current { blocks.append(c.joined(separator: "\n") + "\n"); current = nil } else { current = [] }
            } else {
                current?.append(line)
            }
        }
        return blocks
    }

    @Test("Documentation/Scaling.md shows the recipe files exactly as they are in scripts/")
    func recipesInDocumentation() throws {
        let doc = try String(contentsOf: Self.packageRoot.appendingPathComponent("Documentation/Scaling.md"), encoding: .utf8)
        let blocks = Self.codeBlocks(in: doc)
        for script in ["scripts/map-shard.sh", "scripts/slurm-map.sbatch", "scripts/k8s-map-job.yaml"] {
            let text = try String(contentsOf: Self.packageRoot.appendingPathComponent(script), encoding: .utf8)
            #expect(blocks.contains(text), "\(script) differs from its copy in Documentation/Scaling.md")
        }
    }

    @Test("Slurm recipe: three array tasks at once (IDs 4-6) map every file once, byte-identical; reruns skip and continue")
    func slurmRecipe() throws {
        let f = try BatchFixture()
        defer { f.remove() }
        let reference = f.root.appendingPathComponent("reference"), mapped = f.root.appendingPathComponent("mapped")
        #expect(try Self.mapAll(f, into: reference, jobs: 1).status == 0)
        let sbatch = Self.packageRoot.appendingPathComponent("scripts/slurm-map.sbatch")
        let script = try String(contentsOf: sbatch, encoding: .utf8)
        #expect(script.contains("#SBATCH --array=0-15\n"))   // contiguous, as Shard.fromEnvironment needs
        // What Slurm sets for `sbatch --array=4-6 scripts/slurm-map.sbatch` submitted from the checkout.
        func tasks() throws -> [Outcome] {
            try Self.runAll((4...6).map { id in
                (URL(fileURLWithPath: "/bin/bash"), [sbatch.path],
                 ["SLURM_ARRAY_JOB_ID": "1000", "SLURM_ARRAY_TASK_ID": "\(id)", "SLURM_ARRAY_TASK_MIN": "4", "SLURM_ARRAY_TASK_MAX": "6",
                  "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_SUBMIT_DIR": Self.packageRoot.path,
                  "RAW2RAW": try Self.executable().path, "MODEL": f.model.path, "TARGET_CAMERA": "B",
                  "INPUT_DIR": f.inputFolder.path, "OUTPUT_DIR": mapped.path])
            }, logs: f.root.appendingPathComponent("logs"))
        }
        let first = try tasks()
        #expect(first.allSatisfy { $0.status == 0 }, "\(first.map(\.stderr))")
        let names = first.flatMap(Self.mappedNames)
        #expect(names.sorted() == f.inputs.map(\.lastPathComponent))                 // each exactly once
        #expect(first.filter { !Self.mappedNames($0).isEmpty }.count == 3)           // every task had work
        #expect(try BatchFixture.contents(of: mapped) == BatchFixture.contents(of: reference))   // no temporaries left either

        // Resubmitted: nothing is rewritten.
        let before = try BatchFixture.identities(of: mapped)
        let again = try tasks()
        #expect(again.allSatisfy { $0.status == 0 } && again.flatMap(Self.mappedNames).isEmpty)
        #expect(try BatchFixture.identities(of: mapped) == before)

        // A task killed mid-write: its output missing, its temporary file left. The rerun maps that file only.
        let lost = f.inputs[4].lastPathComponent
        try FileManager.default.removeItem(at: mapped.appendingPathComponent(lost))
        try Data(repeating: 7, count: 100).write(to: mapped.appendingPathComponent(".\(lost).\(UUID().uuidString).tmp"))
        let resumed = try tasks()
        #expect(resumed.allSatisfy { $0.status == 0 } && resumed.flatMap(Self.mappedNames) == [lost])
        #expect(try BatchFixture.identities(of: mapped).filter { $0.key != lost } == before.filter { $0.key != lost })
        #expect(try BatchFixture.contents(of: mapped) == BatchFixture.contents(of: reference))
    }

    @Test("Kubernetes recipe: the Indexed Job's pods (completions, parallelism, env of the manifest) map every file once")
    func kubernetesRecipe() throws {
        let f = try BatchFixture()
        defer { f.remove() }
        let reference = f.root.appendingPathComponent("reference")
        #expect(try Self.mapAll(f, into: reference, jobs: 1).status == 0)
        let manifest = try String(contentsOf: Self.packageRoot.appendingPathComponent("scripts/k8s-map-job.yaml"), encoding: .utf8)
        let lines = manifest.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        func value(_ key: String) -> String? {
            lines.first { $0.hasPrefix(key + ":") }.map { String($0.dropFirst(key.count + 1)).trimmingCharacters(in: .whitespaces) }
        }
        func unquote(_ s: String) -> String { s.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        #expect(value("completionMode") == "Indexed")
        let completions = try #require(value("completions").flatMap { Int($0) })
        let parallelism = try #require(value("parallelism").flatMap { Int($0) })
        // The container's environment: "- name: X" followed by "value: Y".
        var env: [String: String] = [:]
        for (i, line) in lines.enumerated() where line.hasPrefix("- name:") && i + 1 < lines.count && lines[i + 1].hasPrefix("value:") {
            env[unquote(String(line.dropFirst(7)).trimmingCharacters(in: .whitespaces))] =
                unquote(String(lines[i + 1].dropFirst(6)).trimmingCharacters(in: .whitespaces))
        }
        #expect(env["RAW2RAW_SHARD_COUNT"] == "\(completions)")
        let command = try #require(value("command"))
        #expect(command == #"["/bin/sh", "/opt/raw2raw/scripts/map-shard.sh"]"#)
        // The volume mounted at /data is the fixture's folder (model, inputs, mapped); /opt/raw2raw is this checkout.
        for key in ["MODEL", "INPUT_DIR", "OUTPUT_DIR"] {
            let path = try #require(env[key])
            #expect(path.hasPrefix("/data/"))
            env[key] = f.root.path + path.dropFirst(5)
        }
        #expect(env["MODEL"] == f.model.path && env["INPUT_DIR"] == f.inputFolder.path)
        env["TARGET_CAMERA"] = "B"      // the fixture's model maps A to B
        env["RAW2RAW"] = try Self.executable().path
        let script = Self.packageRoot.appendingPathComponent("scripts/map-shard.sh")
        var outcomes: [Outcome] = []
        for wave in stride(from: 0, to: completions, by: parallelism) {   // `parallelism` pods at a time
            outcomes += try Self.runAll((wave..<min(wave + parallelism, completions)).map { index in
                (URL(fileURLWithPath: "/bin/sh"), [script.path], env.merging(["JOB_COMPLETION_INDEX": "\(index)"]) { $1 })
            }, logs: f.root.appendingPathComponent("logs"))
        }
        #expect(outcomes.count == completions && outcomes.allSatisfy { $0.status == 0 }, "\(outcomes.map(\.stderr))")
        #expect(outcomes.flatMap(Self.mappedNames).sorted() == f.inputs.map(\.lastPathComponent))
        let mapped = URL(fileURLWithPath: try #require(env["OUTPUT_DIR"]))
        #expect(try BatchFixture.contents(of: mapped) == BatchFixture.contents(of: reference))
    }
}
