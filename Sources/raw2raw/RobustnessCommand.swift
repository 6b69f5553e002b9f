import ArgumentParser
import Foundation
import Robustness
#if canImport(Glibc)
import Glibc
#endif

/// `raw2raw robustness`: reads seeded mutations of raw2raw's input formats and reports how each ended.
struct RobustnessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "robustness",
        abstract: "Check that mutated input files end in a clear error, never a crash or a hang.",
        discussion: """
            Makes N mutated copies of a seed input (byte flips, truncations, chunk copies, extreme \
            TIFF tag / MAT header / safetensors header values, structure-aware JSON edits) and reads \
            each through the same API the other commands use, in a temporary folder. Prints one line \
            per case, tab-separated: format, seed, case index, outcome (ok, error TYPE.case, or \
            FINDING what), milliseconds, seed input and mutation. Case I of seed S is always the same \
            file, so `--seed S --start I --cases 1` reproduces it. The seed inputs are built in, or \
            your own files with --input (a model folder for model-json and model-weights). A case \
            running longer than --time-limit prints a HANG line and ends the process with status 3. \
            Exit status 1 when a case was a finding. scripts/robustness.sh runs the long pass in \
            child processes and records crashes (Documentation/Reliability.md).
            """)

    @Option(help: "The format: \(RobustnessFormat.allCases.map(\.rawValue).joined(separator: ", ")), or all.")
    var format: String = "all"

    @Option(help: "The run seed.")
    var seed: UInt64 = 1

    @Option(help: "Cases per format.")
    var cases: Int = 100

    @Option(help: "The first case index.")
    var start: Int = 0

    @Option(name: .customLong("input"), help: "Seed input files (or model folders) to mutate instead of the built-in ones; needs one --format.")
    var inputs: [String] = []

    @Option(name: .customLong("time-limit"), help: "Seconds a case may take before it counts as a hang.")
    var timeLimit: Double = 20

    @Option(name: .customLong("write-seeds"), help: "Write the built-in seed inputs of the formats to this folder and stop.")
    var writeSeeds: String?

    func validate() throws {
        if format != "all" && RobustnessFormat(rawValue: format) == nil {
            throw ValidationError("unknown format '\(format)'; known: \(RobustnessFormat.allCases.map(\.rawValue).joined(separator: ", ")), all")
        }
        if format == "all" && !inputs.isEmpty { throw ValidationError("--input needs a single --format") }
        guard cases >= 0, start >= 0 else { throw ValidationError("--cases and --start must not be negative") }
        guard timeLimit > 0 else { throw ValidationError("--time-limit must be positive") }
    }

    func run() throws {
        let formats = format == "all" ? RobustnessFormat.allCases : [RobustnessFormat(rawValue: format)!]
        let harness = try RobustnessHarness()
        let watchdog = Watchdog(limit: timeLimit)
        if let writeSeeds {
            try Self.write(harness: harness, formats: formats, to: URL(fileURLWithPath: writeSeeds))
            return
        }
        var findings = 0
        for f in formats {
            let seeds = inputs.isEmpty ? nil : try inputs.map { try RobustnessSeed(contentsOf: URL(fileURLWithPath: $0), format: f) }
            var counts: [String: Int] = [:]
            let began = Date()
            for index in start..<(start + cases) {
                let c = try harness.makeCase(format: f, seed: seed, index: index, seeds: seeds)
                let line = "\(f.rawValue)\t\(seed)\t\(index)"
                let detail = Self.clean("\(c.seedName): \(c.mutation)")
                watchdog.begin("\(line)\tHANG\t-\t\(detail)")
                let t0 = Date()
                let outcome = harness.run(c)
                let ms = Int(Date().timeIntervalSince(t0) * 1000)
                watchdog.end()
                Self.emit("\(line)\t\(Self.clean(outcome.summary))\t\(ms)\t\(detail)")
                counts[outcome.isFinding ? "finding" : outcome == .accepted ? "ok" : "error", default: 0] += 1
                if outcome.isFinding { findings += 1 }
            }
            Self.emit("# \(f.rawValue): \(cases) cases, \(counts["ok", default: 0]) ok, \(counts["error", default: 0]) typed errors, "
                  + "\(counts["finding", default: 0]) findings, \(String(format: "%.1f", Date().timeIntervalSince(began))) s")
        }
        if findings > 0 { throw ExitCode.failure }
    }

    /// Writes each built-in seed as `FORMAT-NAME` (a folder for the model formats).
    static func write(harness: RobustnessHarness, formats: [RobustnessFormat], to folder: URL) throws {
        for f in formats {
            for seed in try harness.seeds(for: f) {
                let url = folder.appendingPathComponent("\(f.rawValue)-\(seed.name)")
                if seed.companions.isEmpty {
                    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                    try Data(seed.bytes).write(to: url)
                } else {
                    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
                    try Data(seed.bytes).write(to: url.appendingPathComponent(f.fileName))
                    for (name, bytes) in seed.companions { try Data(bytes).write(to: url.appendingPathComponent(name)) }
                }
                emit(url.path)
            }
        }
    }

    /// Writes a line to standard output at once (unbuffered), so a crash loses no finished case.
    static func emit(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// One line: no tabs, newlines or other control characters, at most 400 characters.
    static func clean(_ s: String) -> String {
        String(s.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : Character($0) }.prefix(400))
    }
}

/// Ends the process when one case runs longer than the limit, after printing the case's HANG line.
final class Watchdog: @unchecked Sendable {
    private let lock = NSLock()
    private var current: (line: String, start: Date)?
    private let limit: Double

    init(limit: Double) {
        self.limit = limit
        // The thread keeps the watchdog alive until the process ends.
        let thread = Thread { [self] in
            while true {
                Thread.sleep(forTimeInterval: 0.1)
                self.lock.lock()
                let c = self.current
                self.lock.unlock()
                if let c, Date().timeIntervalSince(c.start) > self.limit {
                    RobustnessCommand.emit(c.line)
                    _exit(3)
                }
            }
        }
        thread.start()
    }

    func begin(_ line: String) {
        lock.lock(); current = (line, Date()); lock.unlock()
    }

    func end() {
        lock.lock(); current = nil; lock.unlock()
    }
}
