import Foundation
import RawSupport

/// The one seeded random number generator of raw2raw: xoshiro256** (Blackman & Vigna 2018)
/// seeded through SplitMix64, whose whole state can be saved and restored.
///
/// The same seed gives the same sequence on every platform and Swift version. raw2raw's random
/// draws come from a generator of this type: weight initialisation (RawTensor), patch positions,
/// flips and image choices in training (Raw2RawModel, whose checkpoints store ``state`` so a
/// resumed run continues the very same sequence), and the simulator's scenes and noise
/// (RawSynthesis). The one exception is Calibration's subsampling of fit samples, which draws
/// from the SplitMix64 stream of its `FitOptions` seed directly.
///
/// ```swift
/// var generator = SeededGenerator(seed: 42)
/// let u = generator.nextUniform()          // Float in [0, 1)
/// let k = generator.nextInt(below: 10)     // 0..<10, unbiased
/// ```
public struct SeededGenerator: RandomNumberGenerator, Codable, Sendable, Equatable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// Creates a generator whose sequence is determined by `seed` (any value, including 0).
    public init(seed: UInt64) {
        var splitMix = SplitMix64(seed: seed)
        s0 = splitMix.next(); s1 = splitMix.next(); s2 = splitMix.next(); s3 = splitMix.next()
    }

    /// Restores a generator from a saved ``state`` (four words, not all zero).
    public init(state: [UInt64]) {
        precondition(Self.isValid(state), "a xoshiro256** state is four words, not all zero; got \(state)")
        (s0, s1, s2, s3) = (state[0], state[1], state[2], state[3])
    }

    /// The four 64-bit words of the generator state.
    public var state: [UInt64] { [s0, s1, s2, s3] }

    private static func isValid(_ state: [UInt64]) -> Bool { state.count == 4 && state.contains { $0 != 0 } }

    /// Decodes a saved state (`{"state": [w0, w1, w2, w3]}`), rejecting malformed ones.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let s = try c.decode([UInt64].self, forKey: .state)
        guard Self.isValid(s) else {
            throw DecodingError.dataCorruptedError(forKey: .state, in: c, debugDescription: "a generator state is four words, not all zero")
        }
        (s0, s1, s2, s3) = (s[0], s[1], s[2], s[3])
    }

    /// Encodes the state as `{"state": [w0, w1, w2, w3]}`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(state, forKey: .state)
    }

    private enum CodingKeys: String, CodingKey { case state }

    @inline(__always) private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// The next 64 random bits.
    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = Self.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = Self.rotl(s3, 45)
        return result
    }

    /// A uniform Float in `[0, 1)` with 24 random bits.
    @inline(__always)
    public mutating func nextUniform() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// A uniform Double in `[0, 1)` with 53 random bits.
    @inline(__always)
    public mutating func nextUniformDouble() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform integer in `0..<bound` (bound > 0), without modulo bias (Lemire's method).
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "nextInt(below:) needs a positive bound, got \(bound)")
        return Int(truncatingIfNeeded: next(upperBound: UInt64(bound)))
    }

    /// A standard normal Float (Box–Muller computed in Double, one uniform pair per sample).
    public mutating func nextNormal() -> Float {
        let u1 = 1.0 - nextUniformDouble()   // (0, 1]
        let u2 = nextUniformDouble()
        return Float((-2.0 * Foundation.log(u1)).squareRoot() * Foundation.cos(2.0 * Double.pi * u2))
    }

    /// A new generator whose sequence is independent of this one's, derived from it and `stream`
    /// (this generator is not advanced).
    public func derived(stream: UInt64) -> SeededGenerator {
        var copy = self
        let mixed = copy.next() ^ (stream &* 0xD1B5_4A32_D192_ED03)
        return SeededGenerator(seed: mixed)
    }
}
