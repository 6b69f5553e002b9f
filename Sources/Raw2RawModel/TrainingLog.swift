import Foundation
import RawSupport

/// One line of a ``TrainingLog``: what a validation measured and when.
public struct TrainingLogEntry: Codable, Sendable, Equatable {
    /// The optimizer steps done at the validation.
    public var step: Int
    /// Seconds spent in training steps up to this validation, over every session of a resumed
    /// run (``TrainingProgress/elapsedSeconds``; validation and checkpoint time not included).
    public var seconds: Double
    /// The mean weighted training loss (``LossTerms/total``) of the steps since the previous
    /// entry of the same session (since the session's start for its first entry).
    public var loss: Double
    /// Mean validation PSNR (dB) from A to B (``ValidationResult/psnrAToB``).
    public var psnrAToB: Double
    /// Mean validation PSNR (dB) from B to A (``ValidationResult/psnrBToA``).
    public var psnrBToA: Double

    /// Creates an entry.
    public init(step: Int, seconds: Double, loss: Double, psnrAToB: Double, psnrBToA: Double) {
        self.step = step
        self.seconds = seconds
        self.loss = loss
        self.psnrAToB = psnrAToB
        self.psnrBToA = psnrBToA
    }
}

/// The learning curve of a training run: one ``TrainingLogEntry`` per validation, kept in the
/// model folder as ``fileName`` (CSV with a header line:
/// `step,seconds,loss,psnr_a_to_b,psnr_b_to_a`).
///
/// ``Trainer`` rewrites the file (atomically) after every validation. A resumed run keeps the
/// entries up to the checkpoint it resumes from and appends to them; entries after that
/// checkpoint (validations of an interrupted session that the resumed run redoes) are dropped.
/// A new run in the folder starts a new log.
public struct TrainingLog: Sendable, Equatable {
    /// The file name in the model folder: `training-log.csv`.
    public static let fileName = "training-log.csv"
    /// The header line of the CSV file.
    public static let header = "step,seconds,loss,psnr_a_to_b,psnr_b_to_a"

    /// The entries, by step.
    public var entries: [TrainingLogEntry]

    /// Creates a log.
    public init(entries: [TrainingLogEntry] = []) {
        self.entries = entries
    }

    /// The log file of `modelDirectory`.
    public static func url(in modelDirectory: URL) -> URL {
        modelDirectory.appendingPathComponent(fileName)
    }

    /// The CSV text: the header, then one line per entry (seconds to 0.001, loss to 6 significant
    /// digits, PSNR to 0.0001 dB).
    public var csv: String {
        var lines = [Self.header]
        for e in entries {
            lines.append("\(e.step),\(String(format: "%.3f", e.seconds)),\(String(format: "%.6g", e.loss)),"
                         + "\(String(format: "%.4f", e.psnrAToB)),\(String(format: "%.4f", e.psnrBToA))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Parses the CSV text of a log.
    /// - Throws: ``ModelError/modelFile(path:reason:)`` (with `path` as given) for a missing
    ///   header, a line without five fields or a field that is not a number.
    public init(csv text: String, path: String = TrainingLog.fileName) throws(ModelError) {
        var lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard lines.first == Self.header else {
            throw .modelFile(path: path, reason: "not a training log: the first line is not \"\(Self.header)\"")
        }
        lines.removeFirst()
        var entries: [TrainingLogEntry] = []
        for (i, line) in lines.enumerated() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 5, let step = Int(fields[0]), let numbers = Optional(fields.dropFirst().compactMap(Double.init)),
                  numbers.count == 4 else {
                throw .modelFile(path: path, reason: "line \(i + 2) is not step,seconds,loss,psnr_a_to_b,psnr_b_to_a: \"\(line)\"")
            }
            entries.append(TrainingLogEntry(step: step, seconds: numbers[0], loss: numbers[1], psnrAToB: numbers[2], psnrBToA: numbers[3]))
        }
        self.entries = entries
    }

    /// Reads the log of `modelDirectory`; `nil` when it has none.
    /// - Throws: ``ModelError/modelFile(path:reason:)`` for a file that is not a training log.
    public static func read(from modelDirectory: URL) throws(ModelError) -> TrainingLog? {
        let url = url(in: modelDirectory)
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        return try TrainingLog(csv: String(decoding: data, as: UTF8.self), path: url.path)
    }

    /// Writes the log into `modelDirectory` (to a temporary name, then renamed).
    /// - Throws: ``ModelError`` when the file cannot be written.
    public func write(to modelDirectory: URL) throws(ModelError) {
        try AtomicFile.write(Data(csv.utf8), to: Self.url(in: modelDirectory), error: ModelError.init)
    }
}
