import Foundation
import RawSupport

/// One of `count` disjoint shares of a batch's input files, chosen by file name, for mapping one
/// batch on many machines.
///
/// An input belongs to shard `stableHash(fileName) mod count`, where the hash is FNV-1a of the
/// file name's UTF-8 bytes (its last path component, folder ignored) mixed by SplitMix64. The
/// assignment depends on nothing else: not on the order of the inputs, not on the other inputs,
/// not on the machine. So `count` processes, each given the same inputs and its own index, map
/// every input exactly once between them, into one shared output folder. The hash is fixed: a
/// file keeps its shard across releases.
///
/// Outputs keep their input's file name, so two inputs with the same name (from different
/// folders) would collide in the output folder; ``BatchMapping`` rejects such a batch before it
/// maps anything (``BatchMappingError/duplicateFileName(name:paths:)``).
///
/// ```swift
/// let shard = try Shard.parse("1/4")                 // or Shard.fromEnvironment() in a job array
/// let mine = shard.select(inputs)                    // the inputs this process maps
/// ```
public struct Shard: Sendable, Hashable, CustomStringConvertible {
    /// This shard's index, `0 ..< count`.
    public let index: Int
    /// The number of shards the inputs are split into (at least 1).
    public let count: Int

    /// Creates shard `index` of `count`.
    /// - Throws: ``BatchMappingError/invalidShard(_:reason:)`` unless `count >= 1` and `0 <= index < count`.
    public init(index: Int, count: Int) throws(BatchMappingError) {
        guard count >= 1 else { throw .invalidShard("\(index)/\(count)", reason: "the shard count must be at least 1") }
        guard index >= 0, index < count else {
            throw .invalidShard("\(index)/\(count)", reason: "the shard index must be between 0 and \(count - 1) (indices start at 0)")
        }
        self.index = index
        self.count = count
    }

    /// The whole batch: shard 0 of 1.
    public static let all = try! Shard(index: 0, count: 1)

    /// `"index/count"`, as ``parse(_:)`` reads it.
    public var description: String { "\(index)/\(count)" }

    /// Reads a shard written `"i/n"` (0-based index `i` of `n` shards, e.g. `"0/4"` ... `"3/4"`).
    /// - Throws: ``BatchMappingError/invalidShard(_:reason:)`` for any other text or values out of range.
    public static func parse(_ text: String) throws(BatchMappingError) -> Shard {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2,
              let index = Int(parts[0].trimmingCharacters(in: .whitespaces)),
              let count = Int(parts[1].trimmingCharacters(in: .whitespaces)) else {
            throw .invalidShard(text, reason: "write a shard as INDEX/COUNT with a 0-based index, e.g. 0/4, or 'auto'")
        }
        return try Shard(index: index, count: count)
    }

    /// The shard a job-array task maps, from its environment variables.
    ///
    /// - **Slurm job arrays** (`sbatch --array=FIRST-LAST`): `SLURM_ARRAY_TASK_ID` minus
    ///   `SLURM_ARRAY_TASK_MIN` (Slurm's first ID of the array, so an array may start at any
    ///   offset, e.g. `--array=1-8`; taken as 0 when unset) of `SLURM_ARRAY_TASK_COUNT` shards.
    ///   The array's IDs must be contiguous (no `:step` and no lists), or some index would fall
    ///   outside the count and the task fails with an error saying so.
    /// - **Kubernetes Indexed Jobs** (`completionMode: Indexed`): `JOB_COMPLETION_INDEX` of
    ///   `count` shards, or of the `RAW2RAW_SHARD_COUNT` variable's when `count` is `nil` (set it to
    ///   the Job's `completions`; Kubernetes does not pass that to the pod).
    ///
    /// A given `count` also overrides `SLURM_ARRAY_TASK_COUNT`. Slurm's variables win when both
    /// kinds are set.
    /// - Throws: ``BatchMappingError/shardEnvironment(reason:)`` naming the variable that is
    ///   missing or not a whole number, or ``BatchMappingError/invalidShard(_:reason:)`` when the
    ///   index does not fall below the count.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment,
                                       count: Int? = nil) throws(BatchMappingError) -> Shard {
        func number(_ name: String) throws(BatchMappingError) -> Int? {
            guard let text = environment[name] else { return nil }
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
                throw .shardEnvironment(reason: "\(name)='\(text)' is not a whole number")
            }
            return value
        }
        if let id = try number("SLURM_ARRAY_TASK_ID") {
            let first = try number("SLURM_ARRAY_TASK_MIN") ?? 0
            var n = count
            if n == nil { n = try number("SLURM_ARRAY_TASK_COUNT") }
            guard let n else {
                throw .shardEnvironment(reason: "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; give the shard count with --shard-count")
            }
            let index = id - first
            guard n >= 1, index >= 0, index < n else {
                throw .invalidShard("\(index)/\(n)", reason: "Slurm array task \(id) (first task \(first)) is not one of \(n) contiguous tasks; "
                                    + "use a contiguous array such as --array=0-\(max(n, 1) - 1), without a step or a list")
            }
            return try Shard(index: index, count: n)
        }
        if let index = try number("JOB_COMPLETION_INDEX") {
            var n = count
            if n == nil { n = try number("RAW2RAW_SHARD_COUNT") }
            guard let n else {
                throw .shardEnvironment(reason: "JOB_COMPLETION_INDEX is set but the shard count is not; set RAW2RAW_SHARD_COUNT "
                                        + "to the Job's completions, or give --shard-count")
            }
            return try Shard(index: index, count: n)
        }
        throw .shardEnvironment(reason: "neither a Slurm job array (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT) nor a Kubernetes "
                                + "Indexed Job (JOB_COMPLETION_INDEX) is visible in the environment; give the shard as INDEX/COUNT")
    }

    /// The shard, `0 ..< count`, that a file of this name belongs to.
    public static func index(ofFileName fileName: String, count: Int) -> Int {
        precondition(count >= 1, "the shard count must be at least 1, got \(count)")
        var mixer = SplitMix64(seed: stableHash(fileName))
        return Int(mixer.next() % UInt64(count))
    }

    /// Whether a file of this name (a last path component) is this shard's.
    public func contains(fileName: String) -> Bool {
        Shard.index(ofFileName: fileName, count: count) == index
    }

    /// Whether the file at `url` is this shard's (decided by its file name alone).
    public func contains(_ url: URL) -> Bool {
        contains(fileName: url.lastPathComponent)
    }

    /// The inputs that are this shard's, in their given order.
    public func select(_ inputs: [URL]) -> [URL] {
        inputs.filter(contains)
    }
}
