import Foundation
import Testing
@testable import RawSynthesis

@Suite struct RandomTests {
    /// SplitMix64's published first outputs for seed 0, and xoshiro256** outputs for the state
    /// seeded by SplitMix64(5), computed by a separate Python transcription of Vigna's C code.
    @Test func generatorsAreTheReferenceAlgorithms() {
        var sm = SplitMix64(seed: 0)
        // SplitMix64 of 0: published first outputs.
        #expect(sm.next() == 0xE220_A839_7B1D_CDAF)
        #expect(sm.next() == 0x6E78_9E6A_A1B9_65F4)
        var a = Xoshiro256StarStar(seed: 5), b = Xoshiro256StarStar(seed: 5), c = Xoshiro256StarStar(seed: 6)
        let xs = (0..<4).map { _ in a.next() }
        #expect(xs == [0x49D5_5178_CA54_CF69, 0x9A22_115A_4D26_24DC, 0xA648_B1CC_F0BB_BBAE, 0xD251_1E20_DE93_3BC5])
        #expect(xs == (0..<4).map { _ in b.next() })
        #expect(xs != (0..<4).map { _ in c.next() })
        // FNV-1a 64: "", "a" and "foobar" are the published test vectors (Fowler/Noll/Vo); the preset
        // names were computed independently with Python:
        //   h = 0xcbf29ce484222325; for b in s.encode(): h = ((h ^ b) * 0x100000001b3) % 2**64
        #expect(stableHash("") == 0xCBF2_9CE4_8422_2325)
        #expect(stableHash("a") == 0xAF63_DC4C_8601_EC8C)
        #expect(stableHash("foobar") == 0x8594_4171_F739_67E8)
        #expect(stableHash("iphonex-like") == 0xDF76_078D_CC41_D01C)
        #expect(stableHash("s9-like") == 0x56F1_B6D8_F6DA_C947)
    }

    @Test(arguments: [0.5, 4.0, 25.0, 200.0])
    func poissonHasItsMeanAndVariance(_ lambda: Double) {
        var rng = Xoshiro256StarStar(seed: 1234)
        let n = 40000
        let xs = (0..<n).map { _ in rng.poisson(lambda) }
        #expect(xs.allSatisfy { $0 >= 0 && $0 == $0.rounded() })
        let mean = xs.reduce(0, +) / Double(n)
        let variance = xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)
        #expect(abs(mean - lambda) < 5 * (lambda / Double(n)).squareRoot())
        #expect(abs(variance / lambda - 1) < 0.05)
        if lambda < 1 {
            let zeros = Double(xs.filter { $0 == 0 }.count) / Double(n)
            #expect(abs(zeros - exp(-lambda)) < 0.01, "P(0) = e^-lambda")
        }
    }

    @Test func gaussianAndUniformMoments() {
        var rng = Xoshiro256StarStar(seed: 99)
        let n = 50000
        let g = (0..<n).map { _ in rng.gaussian() }
        let mean = g.reduce(0, +) / Double(n)
        let variance = g.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)
        #expect(abs(mean) < 0.02 && abs(variance - 1) < 0.03)
        let u = (0..<n).map { _ in rng.nextDouble() }
        #expect(u.allSatisfy { $0 >= 0 && $0 < 1 })
        #expect(abs(u.reduce(0, +) / Double(n) - 0.5) < 0.01)
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<70000 { counts[rng.nextInt(below: 7)] += 1 }
        #expect(counts.allSatisfy { abs($0 - 10000) < 500 })
    }
}
