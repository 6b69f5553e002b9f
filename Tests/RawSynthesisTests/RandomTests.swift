import Foundation
import Testing
@testable import RawSynthesis

@Suite struct RandomTests {
    /// The simulator draws from RawCore's generator (whose reference outputs RawCoreTests checks).
    @Test func simulationRandomIsTheSharedGenerator() {
        var a = SimulationRandom(seed: 5)
        #expect((0..<4).map { _ in a.next() } == [0x49D5_5178_CA54_CF69, 0x9A22_115A_4D26_24DC, 0xA648_B1CC_F0BB_BBAE, 0xD251_1E20_DE93_3BC5])
    }

    @Test(arguments: [0.5, 4.0, 25.0, 200.0])
    func poissonHasItsMeanAndVariance(_ lambda: Double) {
        var rng = SimulationRandom(seed: 1234)
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
        var rng = SimulationRandom(seed: 99)
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
