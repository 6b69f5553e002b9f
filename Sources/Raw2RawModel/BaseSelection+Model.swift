import Calibration
import Foundation
import RawCore

extension BaseSelection {
    /// The candidates of ``ModelConfiguration/BaseMapping-swift.enum/anchorValidated`` for a
    /// configuration: Calibration's anchor-validated candidates, exposure-modelled as
    /// ``ModelConfiguration/alignsAnchorExposure`` and ``ModelConfiguration/predictsTargetExposure`` say.
    static func candidates(for configuration: ModelConfiguration) -> [BaseCandidate] {
        candidates(alignsExposure: configuration.alignsAnchorExposure, predictsTargetExposure: configuration.predictsTargetExposure)
    }

    /// Chooses (Calibration's leave-one-anchor-out ``BaseSelection/select(_:sources:targets:readings:options:validationPixels:label:)``)
    /// and fits a direction's least-squares part.
    /// - Returns: the fitted winner, every score (empty without validation) and a one-line note.
    /// - Throws: ``TrainingError/baseMapping(direction:kind:error:)`` when the winner cannot be fitted.
    static func select(_ candidates: [BaseCandidate], sources: [PackedImage], targets: [PackedImage], readings: TargetReadings?,
                       options: FitOptions, validationPixels: Int, direction: MappingDirection) throws(TrainingError)
        -> (fitted: FittedBase, scores: [BaseCandidateScore], note: String) {
        let choice = select(candidates, sources: sources, targets: targets, readings: readings, options: options,
                            validationPixels: validationPixels, label: direction.phrase)
        do {
            let fitted = try fit(choice.chosen, sources: sources, targets: targets, readings: readings, options: options)
            return (fitted, choice.scores, choice.note)
        } catch {
            throw .baseMapping(direction: direction, kind: choice.chosen.kind, error: error)
        }
    }
}
