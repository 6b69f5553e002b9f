import Foundation
import RawIO
@testable import Calibration

/// Loading fixtures and making deterministic test data.
enum Fixture {
    static var folder: URL { Bundle.module.url(forResource: "Fixtures", withExtension: nil)! }

    static func data(_ name: String) -> Data { try! Data(contentsOf: folder.appendingPathComponent(name)) }

    static func f64(_ name: String) -> [Double] {
        data(name).withUnsafeBytes { raw in (0..<(raw.count / 8)).map { Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))) } }
    }

    static func f32(_ name: String) -> [Float] {
        data(name).withUnsafeBytes { raw in (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) } }
    }

    static func json(_ name: String) -> [String: Any] {
        try! JSONSerialization.jsonObject(with: data(name)) as! [String: Any]
    }

    /// Rows of 4 values as SIMD4.
    static func pixels(_ values: [Double]) -> [SIMD4<Double>] {
        stride(from: 0, to: values.count, by: 4).map { SIMD4(values[$0], values[$0 + 1], values[$0 + 2], values[$0 + 3]) }
    }
}

/// A small deterministic generator for test data.
struct TestRandom {
    var state: UInt64
    init(_ seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [lo, hi).
    mutating func uniform(_ lo: Double = 0, _ hi: Double = 1) -> Double {
        lo + (hi - lo) * Double(next() >> 11) / Double(1 << 53)
    }
    /// Standard normal (Box-Muller).
    mutating func normal() -> Double {
        let u = max(uniform(), 1e-300), v = uniform()
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }
    mutating func pixel(_ lo: Double = 0.02, _ hi: Double = 0.9) -> SIMD4<Double> {
        SIMD4(uniform(lo, hi), uniform(lo, hi), uniform(lo, hi), uniform(lo, hi))
    }
    mutating func image(height: Int, width: Int, lo: Double = 0.02, hi: Double = 0.9) -> PackedImage {
        PackedImage(height: height, width: width, values: (0..<(height * width * 4)).map { _ in Float(uniform(lo, hi)) })
    }
}

/// A plausible mapping of each kind: near identity plus small higher-order terms.
func plausibleMapping(_ kind: ColorMapping.Kind, seed: UInt64) -> ColorMapping {
    var rng = TestRandom(seed)
    let q = kind.outputCount
    var c = [Double](repeating: 0, count: kind.termCount * q)
    for (t, term) in kind.terms.enumerated() {
        for j in 0..<q {
            let isLinear = term.root == 1 && term.degree == 1
            let diagonal = isLinear && term.exponents.firstIndex(of: 1)! == j
            c[t * q + j] = diagonal ? rng.uniform(0.7, 0.9) : (isLinear ? rng.uniform(-0.1, 0.15) : rng.uniform(-0.06, 0.06))
        }
    }
    return try! ColorMapping(kind: kind, coefficients: c)
}

func maxAbsDifference(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count)
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count)
    return zip(a, b).map { Double(abs($0 - $1)) }.max() ?? 0
}
