import Foundation
import RawIO
import RawSupport

/// Maps many `.mat` or `.dng` files with a model: one ``Shard`` of them, several at once,
/// continuing where an earlier run stopped.
///
/// Every output is written by ``Raw2RawNetwork/mapFile(_:direction:outputFolder:template:tiling:)``
/// atomically (a temporary `.NAME.<id>.tmp` in the output folder, renamed into place), so an
/// output that exists is whole. With ``skipExisting`` a rerun maps only the files whose outputs
/// are missing; temporaries left by a killed run for this shard's files are removed. Outputs do
/// not depend on ``jobs``, the shard or the thread count: they are byte for byte those of mapping
/// each file alone.
///
/// ```swift
/// var batch = BatchMapping(direction: .aToB, outputFolder: URL(fileURLWithPath: "mapped"))
/// batch.shard = try Shard.fromEnvironment()    // this task's share of a job array
/// batch.skipExisting = true
/// batch.jobs = 4
/// let report = try batch.run(try BatchMapping.inputFiles(inputs), modelFolder: URL(fileURLWithPath: "model")) {
///     print("\($0.completed)/\($0.total) files, ETA \($0.remainingSeconds) s")
/// }
/// ```
public struct BatchMapping: Sendable {
    /// The mapping direction (see ``Raw2RawNetwork/side(of:)``).
    public var direction: MappingDirection
    /// The folder outputs are written to, with their input's file name (created if needed).
    public var outputFolder: URL
    /// The target camera's format for DNG outputs; `nil` keeps each input's.
    public var template: RawTemplate?
    /// How each image is cut into tiles.
    public var tiling: TilingOptions
    /// The share of the inputs this run maps (default: all of them).
    public var shard: Shard
    /// Whether inputs whose output already exists are skipped rather than mapped again.
    public var skipExisting: Bool
    /// How many files are mapped at once (at least 1), each by its own copy of the network with
    /// `max(1, threads / jobs)` of `ComputeConfiguration.threadCount` threads. More than one
    /// helps with many small files; one big image already uses every thread.
    public var jobs: Int

    /// Creates a batch mapping; see the properties.
    public init(direction: MappingDirection, outputFolder: URL, template: RawTemplate? = nil, tiling: TilingOptions = .default,
                shard: Shard = .all, skipExisting: Bool = false, jobs: Int = 1) {
        precondition(jobs >= 1, "a batch needs at least one job, got \(jobs)")
        self.direction = direction
        self.outputFolder = outputFolder
        self.template = template
        self.tiling = tiling
        self.shard = shard
        self.skipExisting = skipExisting
        self.jobs = jobs
    }

    /// The input files named by `paths`: a file stands for itself (whatever its extension, so a
    /// wrong one is reported when mapped), a folder for the `.mat` and `.dng` files directly in
    /// it (not hidden ones), sorted by name.
    /// - Throws: ``BatchMappingError/inputFolder(path:reason:)`` when a folder cannot be listed.
    public static func inputFiles(_ paths: [URL]) throws(BatchMappingError) -> [URL] {
        var files: [URL] = []
        for url in paths {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue else {
                files.append(url)
                continue
            }
            let names: [String]
            do { names = try FileManager.default.contentsOfDirectory(atPath: url.path) } catch {
                throw .inputFolder(path: url.path, reason: error.localizedDescription)
            }
            files += names.filter { !$0.hasPrefix(".") }.sorted()
                .map { url.appendingPathComponent($0) }
                .filter { PackedImageFormat(url: $0) != nil }
        }
        return files
    }

    /// The output file of `input`: its file name in ``outputFolder``.
    public func output(for input: URL) -> URL {
        outputFolder.appendingPathComponent(input.lastPathComponent)
    }

    /// What a run over `inputs` would do, without doing it: which of them are this shard's, which
    /// of those it would skip, and which leftover temporary files it would remove.
    /// - Throws: ``BatchMappingError/duplicateFileName(name:paths:)`` when two of `inputs` (in any
    ///   shard) share a file name, or ``BatchMappingError/outputFolder(path:reason:)``.
    public func plan(_ inputs: [URL]) throws(BatchMappingError) -> BatchMappingPlan {
        var byName: [String: [String]] = [:]
        for input in inputs { byName[input.lastPathComponent, default: []].append(input.path) }
        if let name = inputs.map(\.lastPathComponent).first(where: { byName[$0]!.count > 1 }) {
            throw .duplicateFileName(name: name, paths: byName[name]!)
        }
        let mine = shard.select(inputs)
        var toMap: [URL] = [], skipped: [URL] = []
        for input in mine {
            let output = output(for: input)
            var isFolder: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: output.path, isDirectory: &isFolder) && !isFolder.boolValue
            // An input inside the output folder is never "done": mapping it reports the overwrite.
            if skipExisting, exists, output.standardizedFileURL.path != input.standardizedFileURL.path {
                skipped.append(input)
            } else {
                toMap.append(input)
            }
        }
        return BatchMappingPlan(shard: shard, inputCount: inputs.count, toMap: toMap, skipped: skipped,
                                leftoverTemporaryFiles: try leftoverTemporaries(names: Set(mine.map(\.lastPathComponent))))
    }

    /// Temporary files `.NAME.<id>.tmp` in the output folder whose `NAME` is one of `names`.
    private func leftoverTemporaries(names: Set<String>) throws(BatchMappingError) -> [URL] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: outputFolder.path, isDirectory: &isFolder), isFolder.boolValue else { return [] }
        let entries: [String]
        do { entries = try FileManager.default.contentsOfDirectory(atPath: outputFolder.path) } catch {
            throw .outputFolder(path: outputFolder.path, reason: "cannot list it: \(error.localizedDescription)")
        }
        return entries.sorted().filter { entry in
            AtomicFile.destinationName(ofTemporary: entry).map(names.contains) ?? false
        }.map { outputFolder.appendingPathComponent($0) }
    }

    /// Maps this shard's share of `inputs` with networks loaded from a model folder (one per job).
    /// - Throws: as ``run(_:network:progress:)``, with ``BatchMappingError/model(_:)`` when the
    ///   model folder cannot be loaded.
    @discardableResult
    public func run(_ inputs: [URL], modelFolder: URL,
                    progress: @Sendable (BatchMappingProgress) -> Void = { _ in }) throws(BatchMappingError) -> BatchMappingReport {
        try run(inputs, network: { () throws(ModelError) -> Raw2RawNetwork in try Raw2RawNetwork(contentsOf: modelFolder) },
                progress: progress)
    }

    /// Maps this shard's share of `inputs` (see ``plan(_:)``), ``jobs`` files at a time, calling
    /// `progress` after every file, and returns what was done.
    ///
    /// `network` is called once per job (the network is not `Sendable`: each job maps with its
    /// own copy), and not at all when there is nothing to map. `progress` calls come one at a
    /// time, from the job that finished the file. A file that fails to map is reported in
    /// ``BatchMappingReport/failures`` and the batch goes on. Cancelling the calling task stops
    /// the batch between files: files being mapped are finished, no other is started.
    /// - Throws: the errors of ``plan(_:)``, ``BatchMappingError/model(_:)`` when `network`
    ///   fails, ``BatchMappingError/outputFolder(path:reason:)`` when a leftover temporary
    ///   cannot be removed, or ``BatchMappingError/cancelled(completed:total:)``.
    @discardableResult
    public func run(_ inputs: [URL], network: () throws(ModelError) -> Raw2RawNetwork,
                    progress: @Sendable (BatchMappingProgress) -> Void = { _ in }) throws(BatchMappingError) -> BatchMappingReport {
        let plan = try plan(inputs)
        for leftover in plan.leftoverTemporaryFiles {
            do { try FileManager.default.removeItem(at: leftover) } catch {
                throw .outputFolder(path: leftover.path, reason: "cannot remove this temporary file of an earlier run: \(error.localizedDescription)")
            }
        }
        if Task.isCancelled { throw .cancelled(completed: 0, total: plan.toMap.count) }
        let workers = min(jobs, plan.toMap.count)
        var networks: [UncheckedSendable<Raw2RawNetwork>] = []
        for _ in 0..<workers {
            do { networks.append(UncheckedSendable(try network())) } catch { throw .model(error) }
        }
        let start = Date()
        let state = BatchState(batch: self, items: plan.toMap, skipped: plan.skipped.count, start: start)
        if workers > 0 {
            let threads = max(1, ComputeConfiguration.threadCount / workers)
            withoutActuallyEscaping(progress) { progress in
                // The threads reach `progress` through `state` only, which lets go of it before this returns.
                state.setProgress(progress)
                defer { state.setProgress(nil) }
                let group = DispatchGroup()
                for network in networks {
                    group.enter()
                    // Own threads, not the cooperative pool: each job blocks on long computations.
                    let thread = Thread {
                        ComputeConfiguration.withThreadCount(threads) { state.work(with: network.value) }
                        group.leave()
                    }
                    thread.stackSize = 8 << 20
                    thread.start()
                }
                // This thread belongs to the caller's task: it watches for cancellation while the jobs run.
                while group.wait(timeout: .now() + .milliseconds(50)) == .timedOut {
                    if Task.isCancelled { state.stop() }
                }
            }
        }
        let outcome = state.outcome()
        if outcome.stopped { throw .cancelled(completed: outcome.completed, total: plan.toMap.count) }
        return BatchMappingReport(plan: plan, mapped: outcome.mapped, failures: outcome.failures,
                                  seconds: Date().timeIntervalSince(start))
    }
}

/// What a ``BatchMapping`` run does with its inputs, from ``BatchMapping/plan(_:)``.
public struct BatchMappingPlan: Sendable, Equatable {
    /// The shard planned for.
    public var shard: Shard
    /// All inputs of the batch, in every shard.
    public var inputCount: Int
    /// This shard's inputs to map, in input order.
    public var toMap: [URL]
    /// This shard's inputs whose outputs exist (with ``BatchMapping/skipExisting``), in input order.
    public var skipped: [URL]
    /// Temporary files left in the output folder by a killed run for this shard's inputs; a run removes them.
    public var leftoverTemporaryFiles: [URL]
}

/// Progress of ``BatchMapping/run(_:network:progress:)``, reported after every file.
public struct BatchMappingProgress: Sendable, Equatable {
    /// Files finished in this run (mapped or failed), including this one.
    public var completed: Int
    /// Files this run maps (this shard's inputs less the skipped ones).
    public var total: Int
    /// This shard's inputs skipped because their outputs exist.
    public var skipped: Int
    /// The file just finished.
    public var input: URL
    /// The file written, or `nil` when mapping failed.
    public var output: URL?
    /// Why mapping failed, or `nil`.
    public var error: ModelError?
    /// Seconds spent on this file.
    public var seconds: Double
    /// Seconds since the batch started mapping.
    public var elapsedSeconds: Double

    /// Files finished per second so far.
    public var filesPerSecond: Double { elapsedSeconds > 0 ? Double(completed) / elapsedSeconds : 0 }

    /// Estimated seconds until the batch is done, at the rate so far.
    public var remainingSeconds: Double {
        completed > 0 ? elapsedSeconds * Double(total - completed) / Double(completed) : .infinity
    }
}

/// A file of a batch that could not be mapped, and why.
public struct BatchMappingFailure: Sendable, Equatable {
    /// The input file.
    public var input: URL
    /// The error, naming the file.
    public var error: ModelError
}

/// What a ``BatchMapping`` run did.
public struct BatchMappingReport: Sendable, Equatable {
    /// The plan the run carried out.
    public var plan: BatchMappingPlan
    /// The outputs written, in input order.
    public var mapped: [URL]
    /// The files that could not be mapped, in input order.
    public var failures: [BatchMappingFailure]
    /// Seconds spent mapping (after loading the networks).
    public var seconds: Double
}

/// The shared state of a batch's jobs: the next file to take, and the results so far.
private final class BatchState: @unchecked Sendable {
    private let lock = NSLock()
    private let batch: BatchMapping
    private let items: [URL]
    private let skipped: Int
    private let start: Date
    private var next = 0
    private var completed = 0
    private var stopped = false
    private var results: [Result<URL, ModelError>?]
    private var progress: (@Sendable (BatchMappingProgress) -> Void)?

    init(batch: BatchMapping, items: [URL], skipped: Int, start: Date) {
        self.batch = batch
        self.items = items
        self.skipped = skipped
        self.start = start
        results = Array(repeating: nil, count: items.count)
    }

    /// Sets the function reporting progress (`nil`: none).
    func setProgress(_ report: (@Sendable (BatchMappingProgress) -> Void)?) { lock.withLock { progress = report } }

    /// Stops handing out files.
    func stop() { lock.withLock { if next < items.count { stopped = true } } }

    /// Maps files with `network` until none is left or the batch is stopped.
    func work(with network: Raw2RawNetwork) {
        while let index = take() {
            let input = items[index]
            let begin = Date()
            let result = Result { () throws(ModelError) -> URL in
                try network.mapFile(input, direction: batch.direction, outputFolder: batch.outputFolder,
                                    template: batch.template, tiling: batch.tiling)
            }
            let seconds = Date().timeIntervalSince(begin)
            lock.withLock {
                results[index] = result
                completed += 1
                var output: URL?, error: ModelError?
                switch result {
                case .success(let url): output = url
                case .failure(let e): error = e
                }
                progress?(BatchMappingProgress(completed: completed, total: items.count, skipped: skipped, input: input,
                                              output: output, error: error, seconds: seconds,
                                              elapsedSeconds: Date().timeIntervalSince(start)))
            }
        }
    }

    private func take() -> Int? {
        lock.withLock {
            guard !stopped, next < items.count else { return nil }
            next += 1
            return next - 1
        }
    }

    /// The results, in input order.
    func outcome() -> (mapped: [URL], failures: [BatchMappingFailure], completed: Int, stopped: Bool) {
        lock.withLock {
            var mapped: [URL] = [], failures: [BatchMappingFailure] = []
            for (input, result) in zip(items, results) {
                switch result {
                case .success(let url): mapped.append(url)
                case .failure(let error): failures.append(BatchMappingFailure(input: input, error: error))
                case nil: break
                }
            }
            return (mapped, failures, completed, stopped)
        }
    }
}
