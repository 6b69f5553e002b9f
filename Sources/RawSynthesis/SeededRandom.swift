import Foundation

/// SplitMix64: turns any 64-bit seed into a well-mixed stream (Steele, Lea & Flood 2014).
///
/// Used to derive independent seeds (per scene, per camera, per row) from one user seed and to
/// seed ``Xoshiro256StarStar``. Fully specified here, so results never depend on the platform's
/// or the standard library's random number generators.
struct SplitMix64 {
    private(set) var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A seed derived from `seed` and a list of integers, order-sensitive.
    static func derive(_ seed: UInt64, _ parts: UInt64...) -> UInt64 {
        var g = SplitMix64(seed: seed)
        var h = g.next()
        for p in parts {
            g = SplitMix64(seed: h ^ (p &* 0xD6E8_FEB8_6659_FD93))
            h = g.next()
        }
        return h
    }
}

/// A stable 64-bit FNV-1a hash of a string (Swift's `Hasher` is randomised per process).
func stableHash(_ s: String) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in s.utf8 {
        h ^= UInt64(b)
        h &*= 0x0000_0100_0000_01B3
    }
    return h
}

/// xoshiro256** 1.0 (Blackman & Vigna 2018), seeded through ``SplitMix64``.
///
/// Every sampling routine the simulator needs (uniform, Gaussian, Poisson) is implemented here on
/// top of the raw 64-bit output, so a seed gives the same numbers on every platform and Swift
/// version.
struct Xoshiro256StarStar {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
    private var spareGaussian: Double?

    init(seed: UInt64) {
        var sm = SplitMix64(seed: seed)
        s0 = sm.next(); s1 = sm.next(); s2 = sm.next(); s3 = sm.next()
    }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    @inline(__always)
    mutating func next() -> UInt64 {
        let result = Xoshiro256StarStar.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = Xoshiro256StarStar.rotl(s3, 45)
        return result
    }

    /// Uniform in [0, 1), 53 random bits.
    @inline(__always)
    mutating func nextDouble() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform in [a, b).
    @inline(__always)
    mutating func uniform(_ a: Double, _ b: Double) -> Double {
        a + (b - a) * nextDouble()
    }

    /// `true` with probability `p`.
    mutating func chance(_ p: Double) -> Bool { nextDouble() < p }

    /// Uniform integer in `0..<n` (Lemire's nearly-divisionless method, unbiased).
    mutating func nextInt(below n: Int) -> Int {
        precondition(n > 0, "nextInt(below:) needs a positive bound, got \(n)")
        let bound = UInt64(n)
        var m = next().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold { m = next().multipliedFullWidth(by: bound) }
        }
        return Int(m.high)
    }

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
