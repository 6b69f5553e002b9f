import Foundation
import RawSupport

/// The training log (``TrainingLog``): one entry per validation of ``Trainer/run(progress:)``.
extension Trainer {
    /// The log a trainer starts with: for a resumed run, the entries of `modelDirectory`'s log up
    /// to step `resumedStep`; for a new run (`resumedStep` nil) an empty log, and any log file
    /// of an earlier run in the folder is removed.
    ///
    /// A log file that cannot be read is not fatal: the run starts a new log and says so in `notes`.
    static func startingLog(in modelDirectory: URL, resumedStep: Int?, notes: inout [String]) -> TrainingLog {
        guard let resumedStep else {
            try? FileManager.default.removeItem(at: TrainingLog.url(in: modelDirectory))
            return TrainingLog()
        }
        do {
            guard var log = try TrainingLog.read(from: modelDirectory) else { return TrainingLog() }
            let dropped = log.entries.filter { $0.step > resumedStep }.count
            log.entries.removeAll { $0.step > resumedStep }
            if dropped > 0 {
                notes.append("dropped \(dropped) training log entr\(dropped == 1 ? "y" : "ies") after step \(resumedStep): "
                             + "the resumed run redoes those validations")
            }
            return log
        } catch {
            notes.append("the training log could not be read (\(error.description)): starting a new one")
            return TrainingLog()
        }
    }

    /// Adds the loss of a step to the mean the next log entry reports.
    func accumulateLogLoss(_ terms: LossTerms) {
        logLoss.sum += Double(terms.total)
        logLoss.steps += 1
    }

    /// Appends an entry for `validation` (with the mean loss since the previous entry and the
    /// elapsed training seconds) and rewrites the log file atomically.
    /// - Throws: ``TrainingError/model(_:)`` when the file cannot be written.
    func appendToLog(_ validation: ValidationResult) throws(TrainingError) {
        let loss = logLoss.steps > 0 ? logLoss.sum / Double(logLoss.steps) : Double(lastLosses?.total ?? .nan)
        trainingLog.entries.removeAll { $0.step >= validation.step }
        trainingLog.entries.append(TrainingLogEntry(step: validation.step, seconds: secondsBefore + sessionSeconds, loss: loss,
                                                    psnrAToB: validation.psnrAToB, psnrBToA: validation.psnrBToA))
        logLoss = (0, 0)
        do {
            try AtomicFile.makeFolder(modelDirectory, error: ModelError.init)
            try trainingLog.write(to: modelDirectory)
        } catch {
            throw .model(error)
        }
    }
}
