import ArgumentParser
import Foundation
import RawSynthesis

/// An image size `WxH` given on the command line.
struct PackedSizeArgument: ExpressibleByArgument {
    var width: Int
    var height: Int

    init?(argument: String) {
        let parts = argument.lowercased().split(separator: "x")
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]), w > 0, h > 0, w <= 8192, h <= 8192 else {
            return nil
        }
        width = w
        height = h
    }

    var defaultValueDescription: String { "\(width)x\(height)" }
}

extension SyntheticDatasetFormat: ExpressibleByArgument {}

/// `raw2raw synth`: writes a synthetic two-camera dataset in the paper's layout.
struct Synth: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Synthesize a two-camera raw dataset in the paper's layout (spectral simulator).",
        discussion: """
            Renders random scenes of measured reflectances under measured illuminants with two \
            simulated cameras: one like the iPhone X (RGGB, black 528, white 4095, Nikon D5100 \
            curves) and one like the Galaxy S9 (GRBG, black 0, white 1023, Sigma SD Merrill \
            curves). Writes unpaired/<camera>/raw-rggb, paired/<camera>/anchor-raw-rggb and \
            paired/<camera>/raw-rggb, plus dataset.json. Deterministic by seed; rerunning into \
            the same folder keeps the files already written; Ctrl-C stops after the current image \
            (exit code 130) and leaves only whole files.

            The illuminant list accepts any tabulated CIE light (A, D50, D65, D75, FL1-FL12, FL3.1-FL3.15, \
            HP1-HP5, LED-B1-B5, LED-BH1, LED-RGB1, LED-V1, LED-V2), blackbody-<kelvin> \
            (1000-25000), daylight-<kelvin> (CIE daylight, 4000-25000), or a group: \
            \(IlluminantGroup.allCases.map(\.rawValue).joined(separator: ", ")).

            Each camera can be changed with a specification of comma-separated key=value fields \
            (--camera-a-spec, --camera-b-spec), any subset of: name=<folder> (overrides --camera-a/--camera-b), \
            sensor=<family>[@<seed>] (families: \(SensorFamily.allCases.map(\.rawValue).joined(separator: ", "))), \
            pattern=rggb|grbg|gbrg|bggr, bits=<1-16>, black=<DN>, white=<DN>, \
            exposure=percentile|mean|centre-weighted|fixed, target=<fraction of range, or the \
            fixed exposure>, percentile=<0-1>, jitter=<stops>, electrons=<at white, 0 = no shot \
            noise>, read=<DN>. Example: \
            --camera-b-spec 'name=cam1,sensor=gaussian-ircut@3,pattern=grbg,bits=10,black=64,exposure=mean,jitter=0.2,electrons=6000,read=1.5'.
            """)

    @Option(name: .long, help: "The dataset folder to write (created if needed).")
    var out: String

    @Option(name: .long, help: "Unpaired images per camera (different scenes for the two cameras).")
    var unpaired = 60

    @Option(name: .long, help: "Anchor pairs (the same scene seen by both cameras).")
    var anchors = 8

    @Option(name: .long, help: "Test pairs.")
    var test = 30

    @Option(name: .long, help: "Packed image size WxH (each raw mosaic is 2W x 2H photosites).")
    var size = PackedSizeArgument(argument: "128x96")!

    @Option(name: .long, help: "The seed every scene, exposure and noise sample derives from.")
    var seed: UInt64 = 1

    @Option(name: .long, help: "File format: mat (raw_rggb, like the paper) or dng.")
    var format: SyntheticDatasetFormat = .mat

    @Option(name: .customLong("camera-a"), help: "Folder name of the iPhone-X-like camera.")
    var cameraA = "iphonex-like"

    @Option(name: .customLong("camera-b"), help: "Folder name of the Galaxy-S9-like camera.")
    var cameraB = "s9-like"

    @Option(name: .customLong("camera-a-spec"),
            help: "Changes to camera A, e.g. 'sensor=gaussian-ircut@3,pattern=grbg,bits=10,exposure=mean' (see above).")
    var cameraASpec = ""

    @Option(name: .customLong("camera-b-spec"), help: "Changes to camera B (same form as --camera-a-spec).")
    var cameraBSpec = ""

    @Option(name: .long, parsing: .upToNextOption,
            help: "The illuminants scenes are lit by, chosen uniformly: names, blackbody-<K>, daylight-<K> or groups (default: standard = A D50 D65 D75 FL2 FL7 FL11 LED-B3 LED-B5 LED-RGB1).")
    var illuminants: [String] = []

    @Option(name: .customLong("mixture-probability"),
            help: "The probability that a scene is lit by a mixture of two illuminants (0...1). (default: 0.35)")
    var mixtureProbability: Double = 0.35

    @Flag(name: .long, help: "Print only the summary, not every file.")
    var quiet = false

    func validate() throws {
        guard unpaired >= 0, anchors >= 0, test >= 0 else { throw ValidationError("image counts must be non-negative") }
        guard unpaired + anchors + test > 0 else { throw ValidationError("nothing to generate: all counts are 0") }
        for n in [cameraA, cameraB] where n.isEmpty || n.contains("/") || n == "." || n == ".." {
            throw ValidationError("'\(n)' cannot be a camera folder name")
        }
        guard cameraA != cameraB else { throw ValidationError("--camera-a and --camera-b must differ") }
        guard mixtureProbability >= 0 && mixtureProbability <= 1 else {
            throw ValidationError("--mixture-probability must lie in 0...1, got \(mixtureProbability)")
        }
        let data = try SpectralData.bundled()
        do throws(IlluminantError) {
            _ = try data.expandIlluminantNames(illuminants)
        } catch {
            throw ValidationError(error.description)
        }
        let (a, b) = try cameras(data)
        guard a.name != b.name else { throw ValidationError("the two cameras need different names, both are '\(a.name)'") }
    }

    /// The two cameras: the presets, named by --camera-a/--camera-b, changed by the specifications.
    private func cameras(_ data: SpectralData) throws -> (CameraModel, CameraModel) {
        var a = CameraModel.iPhoneXLike(data)
        a.name = cameraA
        var b = CameraModel.galaxyS9Like(data)
        b.name = cameraB
        do throws(CameraSpecificationError) {
            a = try CameraSpecification(parsing: cameraASpec).camera(basedOn: a, data: data)
        } catch {
            throw ValidationError("--camera-a-spec: \(error.description)")
        }
        do throws(CameraSpecificationError) {
            b = try CameraSpecification(parsing: cameraBSpec).camera(basedOn: b, data: data)
        } catch {
            throw ValidationError("--camera-b-spec: \(error.description)")
        }
        return (a, b)
    }

    private func describe(_ c: CameraModel) -> String {
        "\(c.name) (\(c.pattern.rawValue), black \(c.blackLevel), white \(c.whiteLevel), \(c.bitDepth)-bit, \(c.sensitivities.name) curves)"
    }

    func run() throws {
        let data = try SpectralData.bundled()
        let (a, b) = try cameras(data)
        let lights = illuminants.isEmpty ? SpectralData.illuminantNames : try data.expandIlluminantNames(illuminants)
        let config = SyntheticDatasetConfiguration(
            cameraA: a, cameraB: b, unpairedCount: unpaired, anchorCount: anchors, testCount: test,
            scenes: SceneConfiguration(width: size.width, height: size.height,
                                       illuminants: lights,
                                       mixtureProbability: mixtureProbability),
            seed: seed, format: format)
        let generator = SyntheticDatasetGenerator(configuration: config, data: data)
        let root = URL(fileURLWithPath: out)
        let start = Date()
        let quiet = self.quiet
        let result: (manifest: SyntheticDatasetManifest, written: Int, kept: Int)
        do {
            // Ctrl-C stops between images (SyntheticDatasetError.cancelled): every file is whole, a rerun resumes.
            result = try runCancellingOnInterrupt(notice: "interrupted: stopping after the current image") {
                var written = 0, kept = 0
                let manifest = try generator.generate(into: root) { p in
                    if p.skipped { kept += 1 } else { written += 1 }
                    if !quiet {
                        let width = String(p.total).count
                        let n = String(p.completed)
                        let pad = String(repeating: " ", count: max(0, width - n.count))
                        FileHandle.standardError.write(Data("[\(pad)\(n)/\(p.total)] \(p.skipped ? "kept " : "wrote") \(p.file)\n".utf8))
                    }
                }
                return (manifest, written, kept)
            }
        } catch SyntheticDatasetError.cancelled(let completed, let total) {
            printError("error: \(SyntheticDatasetError.cancelled(completed: completed, total: total))")
            throw ExitCode(130)
        }
        let (manifest, written, kept) = result
        let seconds = Date().timeIntervalSince(start)
        let illuminants = Set(manifest.images.map(\.primaryIlluminant)).count
        print("""
            Synthetic dataset in \(root.path): \(written) files written, \(kept) kept, in \(String(format: "%.1f", seconds)) s.
              cameras: \(describe(a)), \(describe(b)); packed size \(size.width)x\(size.height)
              \(unpaired) unpaired per camera, \(anchors) anchor pairs, \(test) test pairs, \(illuminants) distinct main illuminants; seed \(seed)
              manifest: \(root.appendingPathComponent("dataset.json").path)
            """)
    }
}
