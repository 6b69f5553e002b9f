import Foundation
import Testing
@testable import RawIO

@Suite("Packing")
struct PackingTests {
    static func randomMosaic(pattern: CFAPattern, width: Int, height: Int, blacks: [Double], white: Int, seed: UInt64) -> BayerImage {
        var state = seed
        var samples = [UInt16](repeating: 0, count: width * height)
        for i in samples.indices {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let lo = Int(blacks.min()!)
            samples[i] = UInt16(lo + Int(state >> 33) % (white - lo + 1))
        }
        return BayerImage(width: width, height: height, samples: samples, pattern: pattern,
                          blackLevels: BlackLevels(rowMajor: blacks), whiteLevel: white)
    }

    @Test("pack then unpack gives the mosaic back exactly", arguments: CFAPattern.allCases)
    func roundTrip(pattern: CFAPattern) {
        let blacks: [Double] = [64, 66, 60, 62]
        var img = Self.randomMosaic(pattern: pattern, width: 12, height: 10, blacks: blacks, white: 4095, seed: 7)
        // Clamp every sample to at least its own black level: below-black values clip by design.
        for r in 0..<img.height { for c in 0..<img.width {
            let b = UInt16(img.blackLevel(row: r, column: c))
            if img[r, c] < b { img[r, c] = b }
        } }
        let packed = img.packed()
        #expect(packed.height == 5 && packed.width == 6)
        let back = packed.mosaic(pattern: pattern, blackLevels: BlackLevels(rowMajor: blacks), whiteLevel: 4095)
        #expect(back.samples == img.samples)
    }

    @Test("channels land in R, Gr, Gb, B order whatever the phase", arguments: CFAPattern.allCases)
    func channelOrder(pattern: CFAPattern) {
        // A 2x2 mosaic whose samples encode their colour: R=100, G on R row=200, G on B row=300, B=400.
        var samples = [UInt16](repeating: 0, count: 4)
        for r in 0..<2 { for c in 0..<2 {
            let ch = pattern.channel(row: r, column: c)
            samples[r * 2 + c] = UInt16((ch.rawValue + 1) * 100)
        } }
        let img = BayerImage(width: 2, height: 2, samples: samples, pattern: pattern, blackLevels: [0, 0, 0, 0], whiteLevel: 1000)
        #expect(img.packed().values == [0.1, 0.2, 0.3, 0.4])
    }
}
