/// Which samples a fit ignores: clipped and near-black pixels carry no colour information.
///
/// A sample (a source pixel and its target pixel) is dropped when, in a checked image, **any**
/// channel is at or above ``clippedThreshold`` (saturated) or **all** channels are at or below
/// ``blackThreshold`` (near black). The default checks both source and target with 0.98 and 0.002.
public struct SampleMask: Sendable, Codable, Equatable {
    /// Drop a sample when any channel is `>=` this value; `nil` disables the clipping test.
    public var clippedThreshold: Double?
    /// Drop a sample when every channel is `<=` this value; `nil` disables the black test.
    public var blackThreshold: Double?
    /// Whether the source pixel is tested.
    public var checksSource: Bool
    /// Whether the target pixel is tested.
    public var checksTarget: Bool

    /// Creates a mask.
    public init(clippedThreshold: Double? = 0.98, blackThreshold: Double? = 0.002,
                checksSource: Bool = true, checksTarget: Bool = true) {
        self.clippedThreshold = clippedThreshold
        self.blackThreshold = blackThreshold
        self.checksSource = checksSource
        self.checksTarget = checksTarget
    }

    /// Drop samples with any channel `>= 0.98` or all channels `<= 0.002`, in the source or the target.
    public static let `default` = SampleMask()

    /// Keep every sample.
    public static let none = SampleMask(clippedThreshold: nil, blackThreshold: nil)

    /// Whether a pixel passes the tests.
    @inline(__always)
    func accepts(_ p: SIMD4<Double>) -> Bool {
        if let c = clippedThreshold, p.max() >= c { return false }
        if let b = blackThreshold, p.max() <= b { return false }
        return true
    }

    /// Whether a sample is kept.
    @inline(__always)
    func accepts(source: SIMD4<Double>, target: SIMD4<Double>) -> Bool {
        (!checksSource || accepts(source)) && (!checksTarget || accepts(target))
    }
}

/// How a colour mapping is fitted.
public struct FitOptions: Sendable, Codable, Equatable {
    /// Ridge (Tikhonov) regularisation strength `λ >= 0`; 0 is ordinary least squares.
    ///
    /// The fit minimises `Σ wᵢ ‖φ(xᵢ) C − yᵢ‖² / Σ wᵢ + λ ‖C'‖²`, where `C'` is the coefficient
    /// matrix without the constant term's row (the offset is not shrunk). Dividing by the total
    /// weight makes `λ` independent of the number of samples.
    public var ridge: Double
    /// Which samples to ignore (clipped or near-black pixels by default).
    public var mask: SampleMask
    /// At most this many samples are used, drawn uniformly at random without replacement from the
    /// usable ones (after masking); `nil` uses them all.
    public var sampleBudget: Int?
    /// Seed of the random subsampling (the same seed and inputs give the same samples).
    public var seed: UInt64
    /// Relative threshold below which a singular value counts as zero (LAPACK `dgelsd`'s `rcond`):
    /// a system whose rank falls below the number of terms is an error, never a silent guess.
    public var rankTolerance: Double

    /// Creates fit options; the defaults are ordinary least squares on every unmasked sample.
    public init(ridge: Double = 0, mask: SampleMask = .default, sampleBudget: Int? = nil,
                seed: UInt64 = 0, rankTolerance: Double = 1e-10) {
        self.ridge = ridge
        self.mask = mask
        self.sampleBudget = sampleBudget
        self.seed = seed
        self.rankTolerance = rankTolerance
    }

    func validate() throws(CalibrationError) {
        guard ridge.isFinite && ridge >= 0 else { throw .invalidOption("ridge must be finite and >= 0, got \(ridge)") }
        if let b = sampleBudget, b <= 0 { throw .invalidOption("the sample budget must be positive, got \(b)") }
        guard rankTolerance.isFinite && rankTolerance >= 0 && rankTolerance < 1 else {
            throw .invalidOption("rankTolerance must be in [0, 1), got \(rankTolerance)")
        }
        for t in [mask.clippedThreshold, mask.blackThreshold].compactMap({ $0 }) where !t.isFinite {
            throw .invalidOption("mask thresholds must be finite, got \(t)")
        }
    }
}
