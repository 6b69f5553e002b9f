import Foundation
import RawIO
import Testing
@testable import RawSynthesis

@Suite struct CameraModelTests {
    static let sanity: [(camera: String, white: SIMD3<Double>, darkSkin: SIMD3<Double>)] = [
        ("nikon5100", SIMD3(0.5850, 1.0000, 0.8365), SIMD3(0.0864, 0.0914, 0.0607)),
        ("sigma_sdmerrill", SIMD3(0.4929, 0.8971, 1.0000), SIMD3(0.0682, 0.1024, 0.0998)),
    ]

    static func camera(_ name: String, _ data: SpectralData) -> CameraModel {
        name == "nikon5100" ? .iPhoneXLike(data) : .galaxyS9Like(data)
    }

    /// The README's sanity table: white patch and dark skin under D65, over the white's largest channel.
    @Test(arguments: 0..<2)
    func responseMatchesTheSanityTable(_ i: Int) throws {
        let data = try SpectralData.bundled()
        let row = Self.sanity[i]
        let cam = Self.camera(row.camera, data)
        #expect(cam.sensitivities.name == row.camera)
        let d65 = data.illuminant(named: "D65")!.spectrum
        let white = cam.response(reflectance: data.colorChecker[18].spectrum, illuminant: d65)
        let skin = cam.response(reflectance: data.colorChecker[0].spectrum, illuminant: d65)
        let norm = white.max()
        for c in 0..<3 {
            #expect(abs(white[c] / norm - row.white[c]) < 5e-5, "white channel \(c)")
            #expect(abs(skin[c] / norm - row.darkSkin[c]) < 5e-5, "dark skin channel \(c)")
        }
    }

    /// All 24 patches under four illuminants against numpy's `(R * E) @ S`.
    @Test func responsesMatchNumpy() throws {
        let data = try SpectralData.bundled()
        let cases: [(CameraModel, String, [Double])] = [
            (.iPhoneXLike(data), "D65", SpectralReference.nikon5100D65Colorchecker),
            (.iPhoneXLike(data), "A", SpectralReference.nikon5100AColorchecker),
            (.iPhoneXLike(data), "FL11", SpectralReference.nikon5100Fl11Colorchecker),
            (.iPhoneXLike(data), "LED-RGB1", SpectralReference.nikon5100Ledrgb1Colorchecker),
            (.galaxyS9Like(data), "D65", SpectralReference.sigmaSdmerrillD65Colorchecker),
            (.galaxyS9Like(data), "A", SpectralReference.sigmaSdmerrillAColorchecker),
            (.galaxyS9Like(data), "FL11", SpectralReference.sigmaSdmerrillFl11Colorchecker),
            (.galaxyS9Like(data), "LED-RGB1", SpectralReference.sigmaSdmerrillLedrgb1Colorchecker),
        ]
        for (cam, name, reference) in cases {
            let e = data.illuminant(named: name)!.spectrum
            let batch = cam.responses(reflectances: data.colorChecker.map(\.spectrum), illuminant: e)
            let pairs = cam.responses(samples: data.colorChecker.map { ($0.spectrum, e) })
            for (p, r) in batch.enumerated() {
                #expect(r == cam.response(reflectance: data.colorChecker[p].spectrum, illuminant: e))
                #expect(r == pairs[p])
                for c in 0..<3 {
                    let ref = reference[p * 3 + c]
                    #expect(abs(r[c] - ref) <= 1e-12 * max(1, abs(ref)), "\(cam.name) \(name) patch \(p) channel \(c)")
                }
            }
        }
    }

    @Test func weightedSensitivitiesAreTheResponseOperator() throws {
        let data = try SpectralData.bundled()
        var cam = CameraModel.galaxyS9Like(data)
        cam.channelGains = SIMD3(1.5, 1, 0.75)
        let e = data.illuminant(named: "FL2")!.spectrum
        let w = cam.weightedSensitivities(illuminant: e)
        for r in data.colorChecker.map(\.spectrum) {
            let expected = cam.response(reflectance: r, illuminant: e)
            let viaOperator = SIMD3(w.red.dot(r), w.green.dot(r), w.blue.dot(r))
            for c in 0..<3 { #expect(abs(viaOperator[c] - expected[c]) <= 1e-12 * expected[c]) }
        }
    }

    @Test func mixedIlluminantSamplesUseTheirOwnLight() throws {
        let data = try SpectralData.bundled()
        let cam = CameraModel.iPhoneXLike(data)
        let a = data.illuminant(named: "A")!.spectrum, d65 = data.illuminant(named: "D65")!.spectrum
        let r = data.colorChecker[6].spectrum
        let out = cam.responses(samples: [(r, a), (r, d65), (r, a)])
        #expect(out[0] == cam.response(reflectance: r, illuminant: a))
        #expect(out[1] == cam.response(reflectance: r, illuminant: d65))
        #expect(out[0] == out[2] && out[0] != out[1])
    }

    @Test func channelGainsScaleTheResponse() throws {
        let data = try SpectralData.bundled()
        var cam = CameraModel.iPhoneXLike(data)
        let e = data.illuminant(named: "D50")!.spectrum, r = data.colorChecker[3].spectrum
        let before = cam.response(reflectance: r, illuminant: e)
        let matricesBefore = cam.colorMatrices
        cam.channelGains = SIMD3(2, 1, 0.5)
        let after = cam.response(reflectance: r, illuminant: e)
        #expect(abs(after.x - 2 * before.x) < 1e-12 && after.y == before.y && abs(after.z - 0.5 * before.z) < 1e-12)
        #expect(cam.colorMatrices != matricesBefore, "changing the gains refits the colour matrices")
    }

    @Test(arguments: 0..<2)
    func colorMatricesMatchNumpyLeastSquares(_ i: Int) throws {
        let data = try SpectralData.bundled()
        let cam = i == 0 ? CameraModel.iPhoneXLike(data) : CameraModel.galaxyS9Like(data)
        let refs = i == 0 ? [SpectralReference.nikon5100ColormatrixA, SpectralReference.nikon5100ColormatrixD65]
                          : [SpectralReference.sigmaSdmerrillColormatrixA, SpectralReference.sigmaSdmerrillColormatrixD65]
        #expect(cam.colorMatrices.map(\.illuminant) == [17, 21])
        for (m, ref) in zip(cam.colorMatrices, refs) {
            for k in 0..<9 { #expect(abs(m.values[k] - ref[k]) < 1e-9, "\(cam.name) matrix \(m.illuminant) element \(k)") }
        }
        // The D65 matrix maps D65's white to (nearly) the camera's neutral under D65.
        let d65 = data.illuminant(named: "D65")!.spectrum
        let xyz = data.xyz(reflectance: .constant(1), illuminant: d65)
        let m = cam.colorMatrices[1].values
        let mapped = SIMD3(m[0] * xyz.x + m[1] * xyz.y + m[2] * xyz.z, m[3] * xyz.x + m[4] * xyz.y + m[5] * xyz.z,
                           m[6] * xyz.x + m[7] * xyz.y + m[8] * xyz.z)
        let neutral = cam.neutral(illuminant: d65)
        let n = mapped / mapped.max()
        for c in 0..<3 { #expect(abs(n[c] - neutral[c]) < 0.02, "channel \(c): \(n) vs \(neutral)") }
    }

    @Test func presetsHaveThePapersLevelsAndPatterns() throws {
        let data = try SpectralData.bundled()
        let x = CameraModel.iPhoneXLike(data), s = CameraModel.galaxyS9Like(data)
        #expect(x.name == "iphonex-like" && x.pattern == .rggb && x.blackLevel == 528 && x.whiteLevel == 4095 && x.bitDepth == 12)
        #expect(s.name == "s9-like" && s.pattern == .grbg && s.blackLevel == 0 && s.whiteLevel == 1023 && s.bitDepth == 10)
        #expect(x.sensitivities == data.nikon5100 && s.sensitivities == data.sigmaSDMerrill)
    }

    @Test func neutralIsTheWhiteResponseOverItsLargestChannel() throws {
        let data = try SpectralData.bundled()
        let cam = CameraModel.galaxyS9Like(data)
        for ill in data.illuminants {
            let r = cam.response(reflectance: .constant(1), illuminant: ill.spectrum)
            let n = cam.neutral(illuminant: ill.spectrum)
            #expect(n.max() == 1)
            for c in 0..<3 { #expect(abs(n[c] - r[c] / r.max()) < 1e-15) }
        }
        let md = cam.metadata(asShotNeutral: SIMD3(0.5, 1, 0.8))
        #expect(md.asShotNeutral == [0.5, 1, 0.8])
        #expect(md.cameraWhiteBalance == [2, 1, 1.25, 1])
        #expect(md.make == "Samsung" && md.colorMatrices == cam.colorMatrices)
    }
}
