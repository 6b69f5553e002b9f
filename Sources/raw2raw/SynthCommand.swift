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

/// `raw2raw synth`: writes a synthetic dataset of two or more cameras in the paper's layout.
struct Synth: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Synthesize a raw dataset of two or more cameras in the paper's layout (spectral simulator).",
        discussion: """
            Renders random scenes of measured reflectances under measured illuminants with \
            simulated cameras: by default two, one like the iPhone X (RGGB, black 528, white 4095, \
            Nikon D5100 curves) and one like the Galaxy S9 (GRBG, black 0, white 1023, Sigma SD \
            Merrill curves). Writes unpaired/<camera>/raw-rggb, paired/<camera>/anchor-raw-rggb and \
            paired/<camera>/raw-rggb for every camera, plus dataset.json. Deterministic by seed; \
            rerunning into the same folder keeps the files already written; Ctrl-C stops after the \
            current image (exit code 130) and leaves only whole files.

            --cameras N (2-26) makes N cameras. With more than two they are named cam1, cam2, ...: \
            cam1 is the iPhone-X-like camera, cam2 the Galaxy-S9-like one, and cam3 onwards cycle \
            through the sensor families \(CameraLineup.families.map(\.rawValue).joined(separator: ", ")) \
            (seeded with the camera's number, e.g. gaussian-ircut@3), the CFA phases rggb, grbg, gbrg, \
            bggr, the exposure rules percentile, mean, centre-weighted, and 12-bit (black 256) or \
            10-bit (black 64) levels. Anchor scenes are shared along the edges of --topology: chain \
            (cam1-cam2, cam2-cam3, ...), star (cam1 with each other camera) or all-pairs; each edge \
            gets --anchors scenes of its own, written for its two cameras only, numbered on from edge \
            to edge (with --anchors 2 and a chain: anchor_0000-0001 for cam1 and cam2, anchor_0002-0003 \
            for cam2 and cam3). Test scenes are seen by every camera; unpaired files carry the \
            camera's letter (unpaired_0000_A, _B, _C, ...). A file name under several cameras is the \
            same scene seen by each of them. Two cameras give the same dataset whatever the topology.

            The illuminant list accepts any tabulated CIE light (A, D50, D65, D75, FL1-FL12, FL3.1-FL3.15, \
            HP1-HP5, LED-B1-B5, LED-BH1, LED-RGB1, LED-V1, LED-V2), blackbody-<kelvin> \
            (1000-25000), daylight-<kelvin> (CIE daylight, 4000-25000), or a group: \
            \(IlluminantGroup.allCases.map(\.rawValue).joined(separator: ", ")).

            Each camera can be changed with a specification of comma-separated key=value fields \
            (--camera-spec 'INDEX:fields' for camera INDEX, from 1, repeatable; --camera-a-spec and \
            --camera-b-spec for cameras 1 and 2), any subset of: name=<folder> (overrides \
            --camera-a/--camera-b), \
            sensor=<family>[@<seed>] (families: \(SensorFamily.allCases.map(\.rawValue).joined(separator: ", "))), \
            pattern=rggb|grbg|gbrg|bggr, bits=<1-16>, black=<DN>, white=<DN>, \
            exposure=percentile|mean|centre-weighted|fixed, target=<fraction of range, or the \
            fixed exposure>, percentile=<0-1>, jitter=<stops>, electrons=<at white, 0 = no shot \
            noise>, read=<DN>. Example: \
            --camera-b-spec 'name=cam1,sensor=gaussian-ircut@3,pattern=grbg,bits=10,black=64,exposure=mean,jitter=0.2,electrons=6000,read=1.5', \
            or --cameras 4 --camera-spec '3:name=phone,sensor=phone-broad@2'.
            """)

    @Option(name: .long, help: "The dataset folder to write (created if needed).")
    var out: String

    @Option(name: .long, help: "Unpaired images per camera (every camera its own scenes).")
    var unpaired = 60

    @Option(name: .long, help: "Anchor scenes per edge of the topology (each seen by the edge's two cameras).")
    var anchors = 8

    @Option(name: .long, help: "Test scenes (each seen by every camera).")
    var test = 30

    @Option(name: .long, help: "The number of cameras, 2-26 (more than two are named cam1, cam2, ...; see above).")
    var cameras = 2

    @Option(name: .long, help: "Which cameras share anchor scenes: chain, star or all-pairs (same for two cameras). (default: chain)")
    var topology: String?

    @Option(name: .long, help: "Packed image size WxH (each raw mosaic is 2W x 2H photosites).")
    var size = PackedSizeArgument(argument: "128x96")!

    @Option(name: .long, help: "The seed every scene, exposure and noise sample derives from.")
    var seed: UInt64 = 1

    @Option(name: .long, help: "File format: mat (raw_rggb, like the paper) or dng.")
    var format: SyntheticDatasetFormat = .mat

    @Option(name: .customLong("camera-a"),
            help: "Folder name of the iPhone-X-like camera 1. (default: iphonex-like for two cameras, else cam1)")
    var cameraA: String?

    @Option(name: .customLong("camera-b"),
            help: "Folder name of the Galaxy-S9-like camera 2. (default: s9-like for two cameras, else cam2)")
    var cameraB: String?

    @Option(name: .customLong("camera-a-spec"),
            help: "Changes to camera A (camera 1), e.g. 'sensor=gaussian-ircut@3,pattern=grbg,bits=10,exposure=mean' (see above).")
    var cameraASpec = ""

    @Option(name: .customLong("camera-b-spec"), help: "Changes to camera B (camera 2; same form as --camera-a-spec).")
    var cameraBSpec = ""

    @Option(name: .customLong("camera-spec"),
            help: "Changes to camera INDEX (from 1), 'INDEX:fields', e.g. '3:name=phone,sensor=phone-broad@2'; repeatable.")
    var cameraSpecs: [String] = []

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
        let range = SyntheticDatasetConfiguration.cameraCountRange
        guard range.contains(cameras) else {
            throw ValidationError("--cameras must lie in \(range.lowerBound)...\(range.upperBound), got \(cameras)")
        }
        _ = try anchorTopology()
        for n in [cameraA, cameraB].compactMap({ $0 }) where n.isEmpty || n.contains("/") || n == "." || n == ".." {
            throw ValidationError("'\(n)' cannot be a camera folder name")
        }
        if let a = cameraA, let b = cameraB, a == b { throw ValidationError("--camera-a and --camera-b must differ") }
        guard mixtureProbability >= 0 && mixtureProbability <= 1 else {
            throw ValidationError("--mixture-probability must lie in 0...1, got \(mixtureProbability)")
        }
        let data = try SpectralData.bundled()
        do throws(IlluminantError) {
            _ = try data.expandIlluminantNames(illuminants)
        } catch {
            throw ValidationError(error.description)
        }
        _ = try models(data)
    }

    /// The anchor topology of --topology (chain if not given).
    private func anchorTopology() throws -> AnchorTopology {
        guard let topology else { return .chain }
        guard let t = AnchorTopology(rawValue: topology.lowercased()) else {
            throw ValidationError("--topology: '\(topology)' is not a topology; choose \(AnchorTopology.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return t
    }

    /// The cameras: the lineup of --cameras (CameraLineup), cameras 1 and 2 named by
    /// --camera-a/--camera-b and changed by --camera-a-spec/--camera-b-spec, then every
    /// --camera-spec applied to its camera; the names must all differ.
    private func models(_ data: SpectralData) throws -> [CameraModel] {
        var models = CameraLineup.cameras(count: cameras, data: data)
        if let a = cameraA { models[0].name = a }
        if let b = cameraB { models[1].name = b }
        var changes: [(number: Int, option: String, specification: CameraSpecification)] = []
        for (number, option, text) in [(1, "--camera-a-spec", cameraASpec), (2, "--camera-b-spec", cameraBSpec)] where !text.isEmpty {
            do throws(CameraSpecificationError) {
                changes.append((number, option, try CameraSpecification(parsing: text)))
            } catch {
                throw ValidationError("\(option): \(error.description)")
            }
        }
        for text in cameraSpecs {
            let indexed: IndexedCameraSpecification
            do throws(CameraSpecificationError) {
                indexed = try IndexedCameraSpecification(parsing: text)
            } catch {
                throw ValidationError("--camera-spec '\(text)': \(error.description)")
            }
            guard indexed.number <= cameras else {
                throw ValidationError("--camera-spec '\(text)': there is no camera \(indexed.number) (--cameras \(cameras))")
            }
            if let earlier = changes.first(where: { $0.number == indexed.number }) {
                throw ValidationError("--camera-spec '\(text)': camera \(indexed.number) is already changed by \(earlier.option); give each camera one specification")
            }
            changes.append((indexed.number, "--camera-spec '\(text)'", indexed.specification))
        }
        for change in changes {
            do throws(CameraSpecificationError) {
                models[change.number - 1] = try change.specification.camera(basedOn: models[change.number - 1], data: data)
            } catch {
                throw ValidationError("\(change.option): \(error.description)")
            }
        }
        var seen: [String: Int] = [:]
        for (i, m) in models.enumerated() {
            if let j = seen[m.name] {
                throw ValidationError("cameras \(j + 1) and \(i + 1) are both named '\(m.name)'; camera names are folder names and must differ")
            }
            seen[m.name] = i
        }
        return models
    }

    private func describe(_ c: CameraModel) -> String {
        "\(c.name) (\(c.pattern.rawValue), black \(c.blackLevel), white \(c.whiteLevel), \(c.bitDepth)-bit, \(c.sensitivities.name) curves)"
    }

    func run() throws {
        let data = try SpectralData.bundled()
        let models = try self.models(data)
        let topology = try anchorTopology()
        let lights = illuminants.isEmpty ? SpectralData.illuminantNames : try data.expandIlluminantNames(illuminants)
        let config = SyntheticDatasetConfiguration(
            cameras: models, anchorTopology: topology, unpairedCount: unpaired, anchorCount: anchors, testCount: test,
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
        let edges = config.anchorEdges.map { "\(models[$0.0].name)/\(models[$0.1].name)" }
        let topologyName = models.count > 2 ? " (\(topology.rawValue))" : ""
        print("""
            Synthetic dataset in \(root.path): \(written) files written, \(kept) kept, in \(String(format: "%.1f", seconds)) s.
              cameras (\(models.count)), packed size \(size.width)x\(size.height):
            \(models.enumerated().map { "    \($0.offset + 1). \(describe($0.element))" }.joined(separator: "\n"))
              anchor edges\(topologyName): \(edges.joined(separator: ", "))
              \(unpaired) unpaired per camera, \(anchors) anchor scenes per edge (\(config.anchorSceneCount) in all), \(test) test scenes seen by every camera, \(illuminants) distinct main illuminants; seed \(seed)
              manifest: \(root.appendingPathComponent("dataset.json").path)
            """)
    }
}
