import Foundation
import RawCore
import RawSupport

/// The simulator's sampling routines (uniform ranges, coin flips, Gaussian and Poisson deviates)
/// on top of RawCore's ``SeededGenerator`` (xoshiro256** seeded through SplitMix64).
///
/// Every routine is implemented here on the raw 64-bit output, so a seed gives the same numbers on
/// every platform and Swift version.
struct SimulationRandom {
    private var generator: SeededGenerator
    private var spareGaussian: Double?

    init(seed: UInt64) {
        generator = SeededGenerator(seed: seed)
    }

    /// The next 64 random bits.
    @inline(__always)
    mutating func next() -> UInt64 { generator.next() }

    /// Uniform in [0, 1), 53 random bits.
    @inline(__always)
    mutating func nextDouble() -> Double { generator.nextUniformDouble() }

    /// Uniform in [a, b).
    @inline(__always)
    mutating func uniform(_ a: Double, _ b: Double) -> Double {
        a + (b - a) * nextDouble()
    }

    /// `true` with probability `p`.
    mutating func chance(_ p: Double) -> Bool { nextDouble() < p }

    /// Uniform integer in `0..<n` (unbiased, Lemire's method).
    mutating func nextInt(below n: Int) -> Int { generator.nextInt(below: n) }

    /// Standard normal deviate (Marsaglia's polar method; the second deviate is kept for the next call).
    mutating func gaussian() -> Double {
        if let g = spareGaussian {
            spareGaussian = nil
            return g
        }
        while true {
            let u = 2 * nextDouble() - 1, v = 2 * nextDouble() - 1
            let s = u * u + v * v
            if s > 0 && s < 1 {
                let f = (-2 * Foundation.log(s) / s).squareRoot()
                spareGaussian = v * f
                return u * f
            }
        }
    }

    /// A Poisson deviate with mean `lambda` >= 0.
    ///
    /// Exact (sequential inversion) for `lambda < 30`; above that the normal approximation
    /// `N(lambda, lambda)` rounded to an integer, whose error is far below the Poisson spread itself.
    mutating func poisson(_ lambda: Double) -> Double {
        if lambda <= 0 { return 0 }
        if lambda < 30 {
            let u = nextDouble()
            var k = 0.0
            var p = Foundation.exp(-lambda)
            var cdf = p
            while u >= cdf && k < 1000 {
                k += 1
                p *= lambda / k
                cdf += p
            }
            return k
        }
        return max(0, (lambda + lambda.squareRoot() * gaussian()).rounded())
    }
}
