/// Why a batch of file mappings could not start or did not finish.
///
/// Thrown by ``Shard/init(index:count:)``, ``Shard/parse(_:)``, ``Shard/fromEnvironment(_:count:)``,
/// ``BatchMapping/inputFiles(_:)``, ``BatchMapping/plan(_:)`` and ``BatchMapping/run(_:network:progress:)``.
/// A file that fails to map does not stop a batch: it is reported in ``BatchMappingReport/failures``.
/// ``description`` is one sentence a person can act on, naming the files or variables involved.
public enum BatchMappingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A shard written `text` is not a valid `INDEX/COUNT` (0-based index below the count).
    case invalidShard(String, reason: String)
    /// `--shard auto` found no usable job-array variables in the environment.
    case shardEnvironment(reason: String)
    /// Two inputs share a file name, so their outputs would overwrite each other in the output folder.
    case duplicateFileName(name: String, paths: [String])
    /// An input folder could not be listed.
    case inputFolder(path: String, reason: String)
    /// The output folder could not be created or listed.
    case outputFolder(path: String, reason: String)
    /// The model could not be loaded.
    case model(ModelError)
    /// The batch was cancelled between files: `completed` of the `total` files to map were
    /// finished (written whole, or failed); no later one was started and no partial file is left.
    case cancelled(completed: Int, total: Int)

    /// A one-line message naming the files or variables involved and what was wrong.
    public var description: String {
        switch self {
        case .invalidShard(let text, let reason):
            return "invalid shard '\(text)': \(reason)"
        case .shardEnvironment(let reason):
            return "cannot take the shard from the environment: \(reason)"
        case .duplicateFileName(let name, let paths):
            return "\(paths.joined(separator: ", ")): \(paths.count) inputs are named '\(name)' and would overwrite each other "
                + "in the output folder; rename them or map them in separate batches"
        case .inputFolder(let path, let reason):
            return "\(path): cannot list the input folder (\(reason))"
        case .outputFolder(let path, let reason):
            return "\(path): output folder error (\(reason))"
        case .model(let error):
            return error.description
        case .cancelled(let completed, let total):
            return "mapping cancelled after \(completed) of \(total) files; the outputs written are complete, and a rerun with "
                + "--skip-existing continues from there"
        }
    }
}
