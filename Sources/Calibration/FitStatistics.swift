import Foundation

/// How a mapping was fitted and how well it fits its own samples.
public struct FitStatistics: Sendable, Codable, Equatable, CustomStringConvertible {
    /// Every sample offered (pixels of all pairs, or patches).
    public var totalSamples: Int
    /// Samples dropped by the mask or a zero weight.
    public var maskedSamples: Int
    /// Samples the least-squares system was built from (after masking and the sample budget).
    public var usedSamples: Int
    /// The numerical rank of the (weighted, regularised) system; equals the number of terms.
    public var rank: Int
    /// Singular values of the weighted design matrix (with the ridge rows), largest first.
    public var singularValues: [Double]
    /// Root-mean-square residual on the used samples, per output channel (weighted by the sample weights).
    public var rmse: [Double]
    /// Root-mean-square residual over all output channels.
    public var overallRMSE: Double
    /// The options of the fit.
    public var options: FitOptions

    /// Creates fit statistics.
    public init(totalSamples: Int, maskedSamples: Int, usedSamples: Int, rank: Int, singularValues: [Double],
                rmse: [Double], overallRMSE: Double, options: FitOptions) {
        self.totalSamples = totalSamples
        self.maskedSamples = maskedSamples
        self.usedSamples = usedSamples
        self.rank = rank
        self.singularValues = singularValues
        self.rmse = rmse
        self.overallRMSE = overallRMSE
        self.options = options
    }

    /// The 2-norm condition number of the design matrix: largest over smallest singular value.
    public var conditionNumber: Double {
        guard let first = singularValues.first, let last = singularValues.last, last > 0 else { return .infinity }
        return first / last
    }

    /// The PSNR of the fit on its own samples (peak 1), from ``overallRMSE``.
    public var psnr: Double { 20 * log10(1 / overallRMSE) }

    /// A one-paragraph summary.
    public var description: String {
        var s = "samples: \(usedSamples) used of \(totalSamples) (\(maskedSamples) masked)"
        if let b = options.sampleBudget { s += ", budget \(b), seed \(options.seed)" }
        if options.ridge > 0 { s += ", ridge \(options.ridge)" }
        s += "\nrank \(rank), condition number " + String(format: "%.4g", conditionNumber)
        s += "\nresidual RMSE " + rmse.map { String(format: "%.6f", $0) }.joined(separator: " ")
            + String(format: " (overall %.6f, PSNR %.2f dB)", overallRMSE, psnr)
        return s
    }
}
