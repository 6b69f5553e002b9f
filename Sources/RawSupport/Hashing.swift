/// SplitMix64 (Steele, Lea & Flood 2014): turns any 64-bit seed into a well-mixed stream.
///
/// Seeds the one xoshiro256** generator (RawCore's `SeededGenerator`) and derives independent
/// seeds (per scene, per camera, per row) from one user seed. Fully specified here, so results
/// never depend on the platform's or the standard library's random number generators.
package struct SplitMix64: RandomNumberGenerator {
    /// The current state.
    package private(set) var state: UInt64

    /// Starts the stream at `seed`.
    package init(seed: UInt64) { state = seed }

    /// The next 64 bits.
    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A seed derived from `seed` and a list of integers, order-sensitive.
    package static func derive(_ seed: UInt64, _ parts: UInt64...) -> UInt64 {
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
package func stableHash(_ s: String) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in s.utf8 {
        h ^= UInt64(b)
        h &*= 0x0000_0100_0000_01B3
    }
    return h
}
