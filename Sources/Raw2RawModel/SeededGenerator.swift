import Foundation

/// A small, fast, seedable random number generator whose whole state can be saved and restored.
///
/// xoshiro256** (Blackman & Vigna) seeded through SplitMix64. Training draws every random
/// number (weight initialisation, patch positions, flips, image choices) from generators of this
/// type, and checkpoints store their ``state``, so a resumed run continues the very same sequence.
public struct SeededGenerator: RandomNumberGenerator, Codable, Sendable, Equatable {
    /// The four 64-bit words of the generator state.
    public private(set) var state: [UInt64]

    /// Creates a generator from a seed (any value, including 0).
    public init(seed: UInt64) {
        var s = seed
        func splitMix() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = [splitMix(), splitMix(), splitMix(), splitMix()]
    }

    /// Restores a generator from a saved ``state`` (four words, not all zero).
    public init(state: [UInt64]) {
        precondition(state.count == 4 && state.contains(where: { $0 != 0 }),
                     "a xoshiro256** state is four words, not all zero; got \(state)")
        self.state = state
    }

    /// Decodes a saved state, rejecting malformed ones.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let s = try c.decode([UInt64].self, forKey: .state)
        guard s.count == 4, s.contains(where: { $0 != 0 }) else {
            throw DecodingError.dataCorruptedError(forKey: .state, in: c, debugDescription: "a generator state is four words, not all zero")
        }
        state = s
    }

    private enum CodingKeys: String, CodingKey { case state }

    @inline(__always) private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = Self.rotl(state[1] &* 5, 7) &* 9
        let t = state[1] << 17
        state[2] ^= state[0]
        state[3] ^= state[1]
        state[1] ^= state[2]
        state[0] ^= state[3]
        state[2] ^= t
        state[3] = Self.rotl(state[3], 45)
        return result
    }

    /// A uniform Float in [0, 1) with 24 random bits.
    public mutating func nextUniform() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// A uniform integer in `0..<bound` (bound > 0), without modulo bias.
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "nextInt(below:) needs a positive bound, got \(bound)")
        return Int(truncatingIfNeeded: next(upperBound: UInt64(bound)))
    }

    /// A standard normal Float (Box–Muller, computed in Double).
    public mutating func nextNormal() -> Float {
        var u1 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        if u1 < 1e-300 { u1 = 1e-300 }
        let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }

    /// A new generator whose sequence is independent of this one's, derived from it and `stream`.
    public func derived(stream: UInt64) -> SeededGenerator {
        var copy = self
        let mixed = copy.next() ^ (stream &* 0xD1B5_4A32_D192_ED03)
        return SeededGenerator(seed: mixed)
    }
}
