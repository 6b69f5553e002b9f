import Foundation
import RawIO
import Testing
@testable import RawSynthesis

@Suite struct SensorFamilyTests {
    static let seeds: [UInt64] = [0, 1, 2, 3, 17, 12345]

    static func peak(_ s: Spectrum) -> Double { Spectrum.wavelengths[s.values.firstIndex(of: s.maximum)!] }

    @Test(arguments: SensorFamily.allCases)
    func everyFamilyIsPlausibleForSeveralSeeds(_ family: SensorFamily) throws {
        let data = try SpectralData.bundled()
        let measured = family.rawValue.contains("nikon") || family.rawValue.contains("sigma")
        for seed in Self.seeds {
            let s = CameraSensitivities.make(family, seed: seed, data: data)
            let label = "\(family.rawValue)@\(seed)"
            #expect(s.channels.allSatisfy { $0.minimum >= 0 }, "\(label) non-negative")
            #expect(s.channels.allSatisfy { $0.values.allSatisfy(\.isFinite) }, "\(label) finite")
            #expect(abs(s.channels.map(\.maximum).max()! - 1) < 1e-12, "\(label) normalised")
            // Smooth: bounded second differences (the measured Sigma red reaches 0.665 itself).
            let bound = measured ? 0.8 : 0.35
            for c in s.channels {
                let d2 = (1..<30).map { abs(c[$0 + 1] - 2 * c[$0] + c[$0 - 1]) }.max()!
                #expect(d2 <= bound, "\(label) second difference \(d2)")
            }
            // Peaks in band (the measured Sigma green layer peaks at 590 nm, so measured sets get 600).
            #expect(Self.peak(s.blue) < 500, "\(label) blue peak \(Self.peak(s.blue))")
            #expect(Self.peak(s.green) >= 500 && Self.peak(s.green) <= (measured ? 600 : 580), "\(label) green peak \(Self.peak(s.green))")
            #expect(Self.peak(s.red) > 570, "\(label) red peak \(Self.peak(s.red))")
            // Deterministic.
            #expect(CameraSensitivities.make(family, seed: seed, data: data) == s)
        }
        let first = CameraSensitivities.make(family, seed: 1, data: data)
        let second = CameraSensitivities.make(family, seed: 2, data: data)
        if family.isSeeded {
            #expect(first != second, "different seeds give different curves")
            #expect(first.name == "\(family.rawValue)@1")
        } else {
            #expect(first == second)
            #expect(first == (family == .nikon5100 ? data.nikon5100 : data.sigmaSDMerrill))
        }
    }

    @Test func perturbedCurvesStayCloseToTheMeasuredOnes() throws {
        let data = try SpectralData.bundled()
        for seed in Self.seeds {
            let p = CameraSensitivities.make(.perturbedNikon5100, seed: seed, data: data)
            for (a, b) in zip(p.channels, data.nikon5100.channels) {
                let diff = (0..<31).map { abs(a[$0] - b[$0]) }.max()!
                #expect(diff < 0.3 && diff > 0, "seed \(seed): largest change \(diff)")
            }
        }
    }

    @Test func irCutFamiliesAreLowAt700AndOthersLeak() throws {
        let data = try SpectralData.bundled()
        for seed in Self.seeds {
            let cut = CameraSensitivities.make(.gaussianIRCut, seed: seed, data: data)
            #expect(cut.red[30] < 0.2 * cut.red.maximum, "ircut red at 700 nm")
            let open = CameraSensitivities.make(.gaussianNoIRCut, seed: seed, data: data)
            #expect(open.red[30] > 0.3 * open.red.maximum, "no-ircut red stays high")
            #expect(open.green[30] > open.green[24], "no-ircut green rises again")
            let mv = CameraSensitivities.make(.machineVision, seed: seed, data: data)
            #expect(mv.blue[30] > 0.2 * mv.blue.maximum && mv.green[30] > 0.2 * mv.green.maximum, "machine vision NIR leak")
        }
    }

    @Test(arguments: ["gaussian-ircut@3", "nikon5100", "perturbed-sigma-sdmerrill@0", "machine-vision@18446744073709551615"])
    func sensorSpecificationsRoundTrip(_ text: String) throws {
        let s = try #require(SensorSpecification(text))
        #expect(SensorSpecification(s.description) == s)
        #expect(s.description == text)
    }

    @Test(arguments: ["", "gaussian", "gaussian-ircut@", "gaussian-ircut@-1", "gaussian-ircut@1@2", "Nikon5100"])
    func badSensorSpecificationsAreRejected(_ text: String) {
        #expect(SensorSpecification(text) == nil)
    }
}

@Suite struct LightTests {
    @Test func extendedIlluminantsLoadAndResolve() throws {
        let data = try SpectralData.bundled()
        #expect(data.extendedIlluminants.count == 41)
        #expect(data.extendedIlluminants.first?.name == "FL1" && data.extendedIlluminants.last?.name == "LED-V2")
        for i in data.extendedIlluminants {
            #expect(abs(i.spectrum[16] - 1) < 1e-7, "\(i.name) is 1 at 560 nm")
            #expect(data.illuminant(named: i.name) != nil, "\(i.name) resolves")
        }
        let names = data.tabulatedIlluminants.map(\.name)
        #expect(names.count == 45 && Set(names).count == 45)
        // The duplicated names hold the same values in both files.
        for n in ["FL2", "FL7", "FL11", "LED-B3", "LED-B5", "LED-RGB1"] {
            #expect(data.extendedIlluminants.first { $0.name == n } == data.illuminants.first { $0.name == n })
        }
        #expect(data.illuminant(named: "HP1")?.spectrum == data.extendedIlluminants.first { $0.name == "HP1" }?.spectrum)
        #expect(data.illuminants.map(\.name) == SpectralData.illuminantNames)
    }

    static func chromaticity(_ data: SpectralData, _ s: Spectrum) -> SIMD2<Double> {
        let xyz = data.xyz(reflectance: .constant(1), illuminant: s)
        return SIMD2(xyz.x, xyz.y) / xyz.sum()
    }

    @Test func daylight6504ReproducesD65AndTheOtherShippedDaylights() throws {
        let data = try SpectralData.bundled()
        for (name, k) in [("D65", 6504), ("D50", 5003), ("D75", 7504)] {
            let computed = try data.resolveIlluminant(named: "daylight-\(k)")
            let shipped = try #require(data.illuminant(named: name)).spectrum
            let diff = (0..<31).map { abs(computed.spectrum[$0] - shipped[$0]) }.max()!
            #expect(diff < 0.01, "\(name): largest difference \(diff)")
            #expect(abs(computed.spectrum[16] - 1) < 1e-12)
        }
        // Basis at 560 nm: S0 = 100, S1 = S2 = 0 (CIE).
        let b = data.daylightBasis
        #expect(abs(b.s0[16] - 100) < 1e-6 && abs(b.s1[16]) < 1e-6 && abs(b.s2[16]) < 1e-6)
        // The CIE D65 chromaticity.
        let xy = Self.chromaticity(data, data.daylight(kelvin: 6504))
        #expect(abs(xy.x - 0.3127) < 1e-3 && abs(xy.y - 0.3291) < 2e-3)
        // Daylight gets bluer with temperature.
        let d4 = data.daylight(kelvin: 4000), d12 = data.daylight(kelvin: 12000)
        #expect(d4[0] < d12[0] && d4[30] > d12[30])
        #expect(d4.minimum >= 0 && data.daylight(kelvin: 25000).minimum >= 0)
    }

    @Test func blackbody2856IsCloseToIlluminantA() throws {
        let data = try SpectralData.bundled()
        let bb = try data.resolveIlluminant(named: "blackbody-2856")
        #expect(bb.name == "blackbody-2856")
        let a = try #require(data.illuminant(named: "A")).spectrum
        let rel = (0..<31).map { abs(bb.spectrum[$0] - a[$0]) / a[$0] }.max()!
        #expect(rel < 0.01, "largest relative difference \(rel)")
        #expect(abs(bb.spectrum[16] - 1) < 1e-12)
        let xy = Self.chromaticity(data, bb.spectrum)
        #expect(abs(xy.x - 0.4476) < 2e-3 && abs(xy.y - 0.4074) < 2e-3)
        // Hotter is bluer.
        let hot = SpectralData.blackbody(kelvin: 9000), cold = SpectralData.blackbody(kelvin: 2000)
        #expect(hot[0] > 1 && cold[0] < bb.spectrum[0])
    }

    @Test(arguments: [("blackbody-500", true), ("blackbody-30000", true), ("daylight-3999", true), ("daylight-25001", true),
                      ("daylight-", false), ("blackbody-3k", false), ("D66", false), ("daylight-+5000", false)])
    func badLightNamesGiveClearErrors(_ name: String, outOfRange: Bool) throws {
        let data = try SpectralData.bundled()
        #expect(data.illuminant(named: name) == nil)
        do {
            _ = try data.resolveIlluminant(named: name)
            Issue.record("\(name) resolved")
        } catch {
            switch error {
            case .temperatureOutOfRange(let n, _, _): #expect(outOfRange && n == name)
            case .unknown(let n, let known): #expect(!outOfRange && n == name && known.count == 45)
            }
            #expect(error.description.contains(name))
        }
    }

    @Test func groupsExpandAndDeduplicate() throws {
        let data = try SpectralData.bundled()
        #expect(try data.expandIlluminantNames(["standard"]) == SpectralData.illuminantNames)
        #expect(try data.expandIlluminantNames(["extended"]).count == 41)
        #expect(try data.expandIlluminantNames(["fluorescent"]).count == 27)
        #expect(try data.expandIlluminantNames(["high-pressure"]) == ["HP1", "HP2", "HP3", "HP4", "HP5"])
        #expect(try data.expandIlluminantNames(["led"]).count == 9)
        #expect(try data.expandIlluminantNames(["D65", "standard", "daylight-5500"]).count == 11)
        #expect(try data.expandIlluminantNames(["tabulated", "blackbodies", "daylights"]).count == 45 + 9 + 7)
        #expect(throws: IlluminantError.self) { try data.expandIlluminantNames(["D65", "nope"]) }
    }

    @Test func scenesCanBeLitByEveryKindOfLight() throws {
        let data = try SpectralData.bundled()
        let names = ["HP3", "blackbody-3200", "daylight-5500", "LED-V1"]
        let gen = SceneGenerator(data: data, configuration: SceneConfiguration(width: 8, height: 6, illuminants: names,
                                                                               mixtureProbability: 0))
        var seen: Set<String> = []
        for seed in 0..<40 { seen.insert(gen.scene(seed: UInt64(seed)).lighting.primary.name) }
        #expect(seen == Set(names))
    }
}

@Suite struct ExposureMeteringTests {
    /// A flat grey scene (one material, no shading, no texture) under D65.
    static func flatScene(_ data: SpectralData, width: Int = 24, height: Int = 16) -> Scene {
        Scene(width: width, height: height, materials: [SceneMaterial(name: "grey", base: .constant(0.5))],
              regions: [SceneRegion(shape: .cell(site: SIMD2(0.5, 0.3)), material: 0)],
              lighting: SceneLighting(data.illuminant(named: "D65")!))
    }

    static func camera(_ data: SpectralData, _ exposure: ExposureControl) -> CameraModel {
        var c = CameraModel.iPhoneXLike(data)
        c.exposure = exposure
        c.noise = .none
        return c
    }

    static func mean(_ p: PackedImage) -> Double { p.values.reduce(0) { $0 + Double($1) } / Double(p.values.count) }

    @Test(arguments: [0.18, 0.25])
    func meanMeteringHitsItsTarget(_ target: Double) throws {
        let data = try SpectralData.bundled()
        let scene = Self.flatScene(data)
        let cam = Self.camera(data, .automatic(AutoExposure(target: target, jitterStops: 0, metering: .mean)))
        let image = cam.renderPacked(scene, seed: 3)
        #expect(abs(Self.mean(image) - target) < 2e-3, "mean \(Self.mean(image))")
        // A fixed exposure equal to the metered one gives the same image.
        let e = cam.render(scene, seed: 3).exposure
        let fixed = Self.camera(data, .fixed(e)).renderPacked(scene, seed: 3)
        #expect(fixed == image)
    }

    @Test func centreWeightedMeteringFavoursTheCentre() throws {
        let data = try SpectralData.bundled()
        // Bright centre (a rectangle over the middle) on a dark surround.
        let scene = Scene(width: 30, height: 30,
                          materials: [SceneMaterial(name: "dark", base: .constant(0.05)), SceneMaterial(name: "bright", base: .constant(0.8))],
                          regions: [SceneRegion(shape: .cell(site: SIMD2(0.5, 0.5)), material: 0),
                                    SceneRegion(shape: .rectangle(minimum: SIMD2(0.35, 0.35), maximum: SIMD2(0.65, 0.65)), material: 1)],
                          lighting: SceneLighting(data.illuminant(named: "D65")!))
        let mean = Self.camera(data, .automatic(AutoExposure(target: 0.2, jitterStops: 0, metering: .mean))).render(scene, seed: 1)
        let centre = Self.camera(data, .automatic(AutoExposure(target: 0.2, jitterStops: 0, metering: .centreWeighted)))
            .render(scene, seed: 1)
        #expect(centre.exposure < mean.exposure * 0.8, "centre \(centre.exposure), mean \(mean.exposure)")
    }

    @Test(arguments: ExposureMetering.allCases)
    func jitterSpreadsTheExposure(_ metering: ExposureMetering) throws {
        let data = try SpectralData.bundled()
        let scene = Self.flatScene(data)
        let cam = Self.camera(data, .automatic(AutoExposure(target: 0.2, jitterStops: 0.5, metering: metering)))
        let still = Self.camera(data, .automatic(AutoExposure(target: 0.2, jitterStops: 0, metering: metering)))
        let base = still.render(scene, seed: 0).exposure
        let ratios = (0..<12).map { cam.render(scene, seed: UInt64($0)).exposure / base }
        #expect(ratios.allSatisfy { $0 >= pow(2, -0.5) - 1e-9 && $0 <= pow(2, 0.5) + 1e-9 })
        #expect(Set(ratios).count > 6)
    }

    @Test func oldManifestExposureStillDecodes() throws {
        let old = #"{"automatic":{"_0":{"jitterStops":0.3,"percentile":0.98,"target":0.85}}}"#
        let decoded = try JSONDecoder().decode(ExposureControl.self, from: Data(old.utf8))
        #expect(decoded == .automatic(AutoExposure()))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        #expect(String(decoding: try encoder.encode(decoded), as: UTF8.self) == old)
        let mean = ExposureControl.automatic(AutoExposure(target: 0.2, metering: .centreWeighted))
        let text = String(decoding: try encoder.encode(mean), as: UTF8.self)
        #expect(text.contains(#""metering":"centre-weighted""#))
        #expect(try JSONDecoder().decode(ExposureControl.self, from: Data(text.utf8)) == mean)
    }
}

@Suite struct CameraSpecificationTests {
    @Test func parsesEveryFieldAndAppliesIt() throws {
        let data = try SpectralData.bundled()
        let spec = try CameraSpecification(parsing:
            "name=cam1, sensor=gaussian-ircut@3,pattern=GRBG,bits=10,black=64,exposure=mean,jitter=0.2,electrons=6000,read=1.5")
        let c = try spec.camera(basedOn: .iPhoneXLike(data), data: data)
        #expect(c.name == "cam1" && c.pattern == .grbg && c.bitDepth == 10 && c.whiteLevel == 1023 && c.blackLevel == 64)
        #expect(c.sensitivities == CameraSensitivities.make(.gaussianIRCut, seed: 3, data: data))
        #expect(c.sensitivities.name == "gaussian-ircut@3")
        #expect(c.exposure == .automatic(AutoExposure(percentile: 0.98, target: 0.2, jitterStops: 0.2, metering: .mean)))
        #expect(c.noise == NoiseModel(shot: .electronsAtWhite(6000), readNoise: 1.5))
        #expect(c.colorMatrices != CameraModel.iPhoneXLike(data).colorMatrices)
        // The manifest records the family and seed.
        #expect(SyntheticDatasetManifest.Camera(c).sensitivities == "gaussian-ircut@3")
    }

    @Test func anEmptySpecificationChangesNothing() throws {
        let data = try SpectralData.bundled()
        for base in [CameraModel.iPhoneXLike(data), .galaxyS9Like(data)] {
            #expect(try CameraSpecification(parsing: "").camera(basedOn: base, data: data) == base)
        }
        // Naming the measured sensor of the preset changes nothing either.
        #expect(try CameraSpecification(parsing: "sensor=sigma-sdmerrill").camera(basedOn: .galaxyS9Like(data), data: data)
                == .galaxyS9Like(data))
    }

    @Test(arguments: [
        "name=a,sensor=phone-broad@9,pattern=bggr,bits=14,black=512,white=16000,exposure=centre-weighted,target=0.25,percentile=0.9,jitter=0,electrons=0,read=0",
        "exposure=fixed,target=0.05",
        "sensor=nikon5100",
        "",
    ])
    func roundTrips(_ text: String) throws {
        let spec = try CameraSpecification(parsing: text)
        #expect(spec.description == text)
        #expect(try CameraSpecification(parsing: spec.description) == spec)
        let json = try JSONEncoder().encode(spec)
        #expect(try JSONDecoder().decode(CameraSpecification.self, from: json) == spec)
    }

    @Test(arguments: [
        ("colour=red", "colour"), ("bits", "bits"), ("bits=17", "bits"), ("bits=x", "bits"), ("black=-1", "black"),
        ("sensor=gaussian@1", "sensor"), ("pattern=rgbg", "pattern"), ("exposure=spot", "exposure"), ("target=0", "target"),
        ("percentile=1.5", "percentile"), ("jitter=-0.1", "jitter"), ("electrons=nan", "electrons"), ("read=-2", "read"),
        ("name=a/b", "name"), ("bits=10,bits=12", "bits"),
    ])
    func rejectsBadFields(_ text: String, field: String) {
        do {
            _ = try CameraSpecification(parsing: text)
            Issue.record("'\(text)' parsed")
        } catch {
            #expect(error.field == field)
            #expect(error.description.contains("'\(field)'"))
        }
    }

    @Test(arguments: [
        ("black=5000", "black"), ("bits=8,white=1000", "white"), ("bits=8", "bits"), ("white=5000", "white"), ("exposure=fixed", "exposure"),
        ("exposure=fixed,target=0.1,jitter=0.2", "jitter"),
    ])
    func rejectsInconsistentCameras(_ text: String, field: String) throws {
        let data = try SpectralData.bundled()
        let spec = try CameraSpecification(parsing: text)
        do {
            _ = try spec.camera(basedOn: .iPhoneXLike(data), data: data)
            Issue.record("'\(text)' applied")
        } catch {
            #expect(error.field == field, "\(error)")
        }
    }

    @Test func aDatasetWithFamiliesAndNewLightsIsDeterministic() throws {
        let data = try SpectralData.bundled()
        let a = try CameraSpecification(parsing: "sensor=perturbed-nikon5100@2,exposure=centre-weighted")
            .camera(basedOn: .iPhoneXLike(data), data: data)
        let b = try CameraSpecification(parsing: "name=mv,sensor=machine-vision@5,pattern=gbrg,bits=12,black=256,exposure=mean")
            .camera(basedOn: .galaxyS9Like(data), data: data)
        let lights = try data.expandIlluminantNames(["high-pressure", "blackbody-3000", "daylight-9000"])
        let config = SyntheticDatasetConfiguration(cameraA: a, cameraB: b, unpairedCount: 1, anchorCount: 1, testCount: 1,
                                                   scenes: SceneConfiguration(width: 16, height: 12, illuminants: lights), seed: 4)
        let gen = SyntheticDatasetGenerator(configuration: config, data: data)
        let m = gen.manifest(complete: true)
        #expect(m.settings.cameras.map(\.sensitivities) == ["perturbed-nikon5100@2", "machine-vision@5"])
        #expect(m.images.allSatisfy { lights.contains($0.primaryIlluminant) })
        let x = gen.capture(set: .test, index: 0, camera: 1), y = gen.capture(set: .test, index: 0, camera: 1)
        #expect(x == y)
        #expect(x.bayer.pattern == .gbrg && x.bayer.whiteLevel == 4095)
        let json = try JSONEncoder().encode(m)
        #expect(try JSONDecoder().decode(SyntheticDatasetManifest.self, from: json) == m)
    }
}
