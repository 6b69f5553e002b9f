import RawSupport
import RawCore

/// Source/target sample pairs grouped in "pairs" (images or a patch list), read by index.
protocol PairedSamples: Sendable {
    var pairCount: Int { get }
    func count(pair: Int) -> Int
    var isWeighted: Bool { get }
    /// Calls `body(index, source, target, weight)` for the samples of `pair` in `range`, in
    /// order, until it returns `false`. The weight is 1 when unweighted.
    func forEach(pair: Int, range: Range<Int>, _ body: (Int, SIMD4<Double>, SIMD4<Double>, Double) -> Bool)
    /// Names a sample in an error message, e.g. `source image 2, pixel (y 4, x 7)`.
    func describe(pair: Int, index: Int, role: String) -> String
}

/// Pixels of aligned packed image pairs.
struct ImagePairs: PairedSamples {
    let sources: [PackedImage]
    let targets: [PackedImage]
    let weights: [[Float]]?

    var pairCount: Int { sources.count }
    var isWeighted: Bool { weights != nil }
    func count(pair: Int) -> Int { sources[pair].pixelCount }

    @inline(__always)
    func forEach(pair: Int, range: Range<Int>, _ body: (Int, SIMD4<Double>, SIMD4<Double>, Double) -> Bool) {
        sources[pair].values.withUnsafeBufferPointer { sb in
            targets[pair].values.withUnsafeBufferPointer { tb in
                let s = sb.baseAddress!, t = tb.baseAddress!
                @inline(__always) func pixel(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD4<Double> {
                    SIMD4(Double(p[4 * i]), Double(p[4 * i + 1]), Double(p[4 * i + 2]), Double(p[4 * i + 3]))
                }
                if let weights {
                    weights[pair].withUnsafeBufferPointer { wb in
                        for i in range where !body(i, pixel(s, i), pixel(t, i), Double(wb[i])) { return }
                    }
                } else {
                    for i in range where !body(i, pixel(s, i), pixel(t, i), 1) { return }
                }
            }
        }
    }

    func describe(pair: Int, index: Int, role: String) -> String {
        let w = sources[pair].width
        let label = pairCount == 1 ? "\(role) image" : "\(role) image \(pair)"
        return "\(label), pixel (y \(index / w), x \(index % w))"
    }
}

/// Colour-chart patch means.
struct PatchPairs: PairedSamples {
    let sources: [SIMD4<Double>]
    let targets: [SIMD4<Double>]
    let weights: [Double]?

    var pairCount: Int { 1 }
    var isWeighted: Bool { weights != nil }
    func count(pair: Int) -> Int { sources.count }

    @inline(__always)
    func forEach(pair: Int, range: Range<Int>, _ body: (Int, SIMD4<Double>, SIMD4<Double>, Double) -> Bool) {
        for i in range where !body(i, sources[i], targets[i], weights?[i] ?? 1) { return }
    }

    func describe(pair: Int, index: Int, role: String) -> String { "\(role) patch \(index)" }
}

/// A set of bits over `0..<count`.
struct BitSet {
    var words: [UInt64]
    init(count: Int) { words = [UInt64](repeating: 0, count: (count + 63) / 64) }
    @inline(__always) func contains(_ i: Int) -> Bool { words[i >> 6] & (1 << UInt64(i & 63)) != 0 }
    @inline(__always) mutating func insert(_ i: Int) { words[i >> 6] |= 1 << UInt64(i & 63) }

    /// `k` distinct values drawn uniformly from `0..<n` (Floyd's algorithm: every k-subset is equally likely).
    static func randomSubset(of n: Int, count k: Int, seed: UInt64) -> BitSet {
        precondition(k <= n)
        var set = BitSet(count: n)
        var rng = SplitMix64(seed: seed)
        for j in (n - k)..<n {
            let t = Int(rng.next(upperBound: UInt64(j + 1)))
            if set.contains(t) { set.insert(j) } else { set.insert(t) }
        }
        return set
    }
}
