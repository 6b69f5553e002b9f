import Calibration
import Foundation
import Raw2RawModel
import RawCore
import RawIO
import RawSupport
import RawSynthesis
import RawTensor

/// The input formats raw2raw reads, as the robustness harness mutates them.
package enum RobustnessFormat: String, CaseIterable, Sendable {
    /// DNG files through our TIFF structure check and LibRaw (`BayerImage(contentsOf:)`).
    case dng
    /// MATLAB v5 files (`MATFile`, `PackedImage(contentsOfMAT:)`).
    case mat
    /// safetensors archives (`SafeTensors(contentsOf:)`).
    case safetensors
    /// The `model.json` of a model folder (`Raw2RawNetwork(contentsOf:)`).
    case modelJSON = "model-json"
    /// The `model.safetensors` of a model folder (`Raw2RawNetwork(contentsOf:)`).
    case modelWeights = "model-weights"
    /// A colour-mapping JSON file (`ColorMapping(contentsOf:)`).
    case mapping
    /// A synthetic dataset's `dataset.json` (`SyntheticDatasetManifest`, and the check a resumed
    /// `SyntheticDatasetGenerator.generate(into:)` makes of it).
    case manifest

    /// The number that separates the formats' case streams of one seed.
    var streamNumber: UInt64 { UInt64(Self.allCases.firstIndex(of: self)!) + 1 }

    /// The file of a model folder the format mutates, or the file name the case is written as.
    package var fileName: String {
        switch self {
        case .dng: return "case.dng"
        case .mat: return "case.mat"
        case .safetensors: return "case.safetensors"
        case .modelJSON: return Raw2RawNetwork.descriptionFileName
        case .modelWeights: return Raw2RawNetwork.weightsFileName
        case .mapping: return "case.json"
        case .manifest: return "dataset.json"
        }
    }
}

/// A well-formed input the harness mutates: one file's bytes, and for model folders the other file.
package struct RobustnessSeed: Sendable {
    /// A short name for reports (a built-in seed's name or the file's name).
    package var name: String
    /// The format.
    package var format: RobustnessFormat
    /// The bytes of the file that is mutated.
    package var bytes: [UInt8]
    /// Other files of the folder, unchanged (the other half of a model folder).
    package var companions: [String: [UInt8]] = [:]

    /// Creates a seed.
    package init(name: String, format: RobustnessFormat, bytes: [UInt8], companions: [String: [UInt8]] = [:]) {
        self.name = name
        self.format = format
        self.bytes = bytes
        self.companions = companions
    }

    /// Reads a seed from a user's file (a model folder for the model formats).
    package init(contentsOf url: URL, format: RobustnessFormat) throws {
        if format == .modelJSON || format == .modelWeights {
            let json = [UInt8](try Data(contentsOf: url.appendingPathComponent(Raw2RawNetwork.descriptionFileName)))
            let weights = [UInt8](try Data(contentsOf: url.appendingPathComponent(Raw2RawNetwork.weightsFileName)))
            self.init(name: url.lastPathComponent, format: format, bytes: format == .modelJSON ? json : weights,
                      companions: format == .modelJSON ? [Raw2RawNetwork.weightsFileName: weights] : [Raw2RawNetwork.descriptionFileName: json])
        } else {
            self.init(name: url.lastPathComponent, format: format, bytes: [UInt8](try Data(contentsOf: url)))
        }
    }
}

/// How one case ended.
package enum RobustnessOutcome: Sendable, Equatable {
    /// The input was read and the result passed the checks (and any output was whole).
    case accepted
    /// The reader threw the typed error named (`RawIOError.corrupt`, `ModelError.weights.corrupt`, ...).
    case rejected(String)
    /// Something the harness must report: an untyped error, a broken invariant of a result, a
    /// partial or temporary file left behind. (Crashes and hangs end the process; the driver
    /// script and the watchdog of `raw2raw robustness` report those.)
    case finding(String)

    /// `ok`, `error TYPE.case` or `FINDING what`, for the one-line report.
    package var summary: String {
        switch self {
        case .accepted: return "ok"
        case .rejected(let kind): return "error \(kind)"
        case .finding(let what): return "FINDING \(what)"
        }
    }

    /// Whether the case is a finding.
    package var isFinding: Bool { if case .finding = self { return true } else { return false } }
}

/// One mutated input: which seed, which case, what was done to it.
package struct RobustnessCase: Sendable {
    /// The format.
    package var format: RobustnessFormat
    /// The run seed.
    package var seed: UInt64
    /// The case index within the run (format, seed, index reproduce the case).
    package var index: Int
    /// The seed input it was made from.
    package var seedName: String
    /// What the mutations did.
    package var mutation: String
    /// The mutated bytes.
    package var bytes: [UInt8]
    /// The unchanged other files of the folder.
    package var companions: [String: [UInt8]]
}

/// Builds and runs robustness cases: seeded mutations of every input format raw2raw reads, each
/// read through the public API in a fresh temporary folder.
///
/// Every case must end with the reader's typed error or with a result that passes cheap checks
/// (an image packs, a model maps a small image, a mapping applies) and can be written again, with
/// no partial or temporary file left behind. Case `index` of a run seed is always the same input.
package final class RobustnessHarness {
    /// The folder the cases are written into (one sub-folder per case, removed afterwards).
    package let workFolder: URL
    var builtInSeedCache: [RobustnessFormat: [RobustnessSeed]] = [:]
    var manifestGeneratorCache: SyntheticDatasetGenerator?
    private var removesWorkFolder: Bool

    /// Creates a harness working in `workFolder` (default: a new temporary folder, removed when
    /// the harness goes away).
    package init(workFolder: URL? = nil) throws {
        if let workFolder {
            self.workFolder = workFolder
            removesWorkFolder = false
        } else {
            self.workFolder = FileManager.default.temporaryDirectory.appendingPathComponent("raw2raw-robustness-\(UUID().uuidString)")
            removesWorkFolder = true
        }
        try FileManager.default.createDirectory(at: self.workFolder, withIntermediateDirectories: true)
    }

    deinit {
        if removesWorkFolder { try? FileManager.default.removeItem(at: workFolder) }
    }

    // MARK: - Cases

    /// Case `index` of run `seed` for `format`, mutating one of `seeds` (by default the built-in ones).
    package func makeCase(format: RobustnessFormat, seed: UInt64, index: Int, seeds: [RobustnessSeed]? = nil) throws -> RobustnessCase {
        let pool = try seeds ?? self.seeds(for: format)
        precondition(!pool.isEmpty, "no seed input for \(format.rawValue)")
        var g = SeededGenerator(seed: SplitMix64.derive(seed, format.streamNumber, UInt64(index)))
        let source = pool[g.nextInt(below: pool.count)]
        let (bytes, mutation) = Mutator.mutate(source.bytes, format: format, using: &g)
        return RobustnessCase(format: format, seed: seed, index: index, seedName: source.name, mutation: mutation,
                              bytes: bytes, companions: source.companions)
    }

    /// Writes the case into a fresh folder, reads it, checks the result and what is left on disk.
    package func run(_ c: RobustnessCase) -> RobustnessOutcome {
        let folder = workFolder.appendingPathComponent("\(c.format.rawValue)-\(c.index)")
        let output = folder.appendingPathComponent("out")
        try? FileManager.default.removeItem(at: folder)
        defer { try? FileManager.default.removeItem(at: folder) }
        do {
            try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
            try Data(c.bytes).write(to: folder.appendingPathComponent(c.format.fileName))
            for (name, bytes) in c.companions { try Data(bytes).write(to: folder.appendingPathComponent(name)) }
        } catch {
            return .finding("cannot set up the case: \(error)")
        }
        let input = folder.appendingPathComponent(c.format.fileName)
        let outcome: RobustnessOutcome
        switch c.format {
        case .dng: outcome = readRaw(input, output: output)
        case .mat: outcome = readMAT(input, output: output)
        case .safetensors: outcome = readSafeTensors(input, output: output)
        case .modelJSON, .modelWeights: outcome = readModel(folder, output: output)
        case .mapping: outcome = readMapping(input, output: output)
        case .manifest: outcome = readManifest(input, folder: folder)
        }
        if outcome.isFinding { return outcome }
        // Nothing half-written may remain, wherever the code under test wrote.
        if let stray = Self.temporaryFiles(in: folder).first { return .finding("temporary file left behind: \(stray)") }
        return outcome
    }

    /// Hidden or temporary files under `folder` (the atomic writers' `.NAME.UUID.tmp`).
    static func temporaryFiles(in folder: URL) -> [String] {
        guard let e = FileManager.default.enumerator(atPath: folder.path) else { return [] }
        return e.compactMap { $0 as? String }.filter {
            let name = ($0 as NSString).lastPathComponent
            return name.hasPrefix(".") || name.hasSuffix(".tmp") || name.contains(".partial")
        }
    }

    /// The names in `folder` (sorted).
    static func contents(of folder: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
    }

    // MARK: - Error classification

    /// `Type.case`, following wrapped typed errors (`ModelError.weights.corrupt`).
    static func kind(of error: any Error) -> String {
        var text = "\(type(of: error))"
        var value: Any = error
        for _ in 0..<4 {
            let mirror = Mirror(reflecting: value)
            guard mirror.displayStyle == .enum else {
                if mirror.children.isEmpty { text += ".\(value)" }
                break
            }
            guard let child = mirror.children.first, let label = child.label else {
                text += ".\(value)"
                break
            }
            text += ".\(label)"
            // A single wrapped error (`.weights(TensorIOError)`) or a tuple starting with one.
            let inner = Mirror(reflecting: child.value)
            if child.value is any Error { value = child.value; continue }
            if inner.displayStyle == .tuple, let first = inner.children.first?.value, first is any Error { value = first; continue }
            break
        }
        return text
    }

    /// A rejection by a typed error, checked to name the file when the error type carries a path.
    private static func rejection(_ error: any Error, naming file: String?) -> RobustnessOutcome {
        let description = "\(error)"
        if description.isEmpty { return .finding("\(kind(of: error)) with an empty description") }
        if let file, !description.contains(file) {
            return .finding("\(kind(of: error)) does not name the file: \(description.prefix(200))")
        }
        return .rejected(kind(of: error))
    }

    // MARK: - Readers

    private func readRaw(_ url: URL, output: URL) -> RobustnessOutcome {
        let image: BayerImage
        do throws(RawIOError) { image = try BayerImage(contentsOf: url) } catch {
            return Self.rejection(error, naming: url.lastPathComponent)
        }
        guard image.width > 0, image.height > 0, image.samples.count == image.width * image.height else {
            return .finding("an accepted image is \(image.width)x\(image.height) with \(image.samples.count) samples")
        }
        guard image.blackLevels.rowMajor.allSatisfy({ $0.isFinite && $0 >= 0 && $0 < Double(image.whiteLevel) }) else {
            return .finding("an accepted image has black levels \(image.blackLevels.rowMajor) for white level \(image.whiteLevel)")
        }
        let packed = image.packed()
        guard packed.values.count == packed.height * packed.width * 4, packed.height == image.height / 2, packed.width == image.width / 2 else {
            return .finding("packing a \(image.width)x\(image.height) image gave \(packed.width)x\(packed.height)")
        }
        _ = RawFileInfo(file: url.lastPathComponent, image: image).jsonLine()
        let written = output.appendingPathComponent("copy.dng")
        do throws(RawIOError) { try image.writeDNG(to: written) } catch {
            return Self.contents(of: output).isEmpty ? .accepted : .finding("a failed DNG write left \(Self.contents(of: output))")
        }
        do throws(RawIOError) {
            let back = try BayerImage(contentsOf: written)
            guard back.samples == image.samples, back.pattern == image.pattern else {
                return .finding("the DNG written from an accepted image reads back different")
            }
        } catch {
            return .finding("the DNG written from an accepted image does not read back: \(error)")
        }
        return .accepted
    }

    private func readMAT(_ url: URL, output: URL) -> RobustnessOutcome {
        // The generic reader first: every variable it lists must load or throw a typed error.
        do throws(RawIOError) {
            let file = try MATFile(contentsOf: url)
            for name in file.names {
                do throws(RawIOError) {
                    let array = try file.array(named: name)
                    guard array.values.count == array.shape.reduce(1, *) else {
                        return .finding("variable '\(name)' has shape \(array.shape) but \(array.values.count) values")
                    }
                } catch {
                    if case .finding(let f) = Self.rejection(error, naming: url.lastPathComponent) { return .finding(f) }
                }
            }
        } catch {
            return Self.rejection(error, naming: url.lastPathComponent)
        }
        let image: PackedImage
        do throws(RawIOError) { image = try PackedImage(contentsOfMAT: url) } catch {
            return Self.rejection(error, naming: url.lastPathComponent)
        }
        guard image.height > 0, image.width > 0, image.values.count == image.height * image.width * 4 else {
            return .finding("an accepted packed image is \(image.width)x\(image.height) with \(image.values.count) values")
        }
        let written = output.appendingPathComponent("copy.mat")
        do throws(RawIOError) { try image.writeMAT(to: written) } catch {
            return Self.contents(of: output).isEmpty ? .accepted : .finding("a failed MAT write left \(Self.contents(of: output))")
        }
        do throws(RawIOError) {
            let back = try PackedImage(contentsOfMAT: written)
            guard back.height == image.height, back.width == image.width else { return .finding("the MAT written reads back another size") }
        } catch {
            return .finding("the MAT written from an accepted image does not read back: \(error)")
        }
        return .accepted
    }

    private func readSafeTensors(_ url: URL, output: URL) -> RobustnessOutcome {
        let archive: SafeTensors
        do throws(TensorIOError) { archive = try SafeTensors(contentsOf: url) } catch {
            return Self.rejection(error, naming: url.lastPathComponent)
        }
        for (name, t) in archive.tensors where t.count != t.shape.reduce(1, *) {
            return .finding("tensor '\(name)' has shape \(t.shape) but \(t.count) values")
        }
        let written = output.appendingPathComponent("copy.safetensors")
        do throws(TensorIOError) { try archive.write(to: written) } catch {
            return Self.contents(of: output).isEmpty ? .accepted : .finding("a failed safetensors write left \(Self.contents(of: output))")
        }
        do throws(TensorIOError) {
            let back = try SafeTensors(contentsOf: written)
            guard back.tensors.mapValues(\.shape) == archive.tensors.mapValues(\.shape) else {
                return .finding("the safetensors written reads back other shapes")
            }
        } catch {
            return .finding("the safetensors written does not read back: \(error)")
        }
        return .accepted
    }

    private func readModel(_ folder: URL, output: URL) -> RobustnessOutcome {
        let network: Raw2RawNetwork
        do throws(ModelError) { network = try Raw2RawNetwork(contentsOf: folder) } catch {
            // A model error names model.json or model.safetensors (or whatever weights file model.json names).
            return Self.rejection(error, naming: nil)
        }
        // Map a small image both ways: a loaded model must work.
        let image = PackedImage(height: 12, width: 10, values: (0..<480).map { Float(($0 * 37) % 101) / 100 })
        for direction in MappingDirection.allCases {
            let mapped = network.map(image, direction: direction)
            guard mapped.height == image.height, mapped.width == image.width else {
                return .finding("mapping \(direction) turned 10x12 into \(mapped.width)x\(mapped.height)")
            }
        }
        do throws(ModelError) { try network.save(to: output) } catch {
            return .finding("saving an accepted model failed: \(error)")
        }
        do throws(ModelError) { _ = try Raw2RawNetwork(contentsOf: output) } catch {
            return .finding("the model saved from an accepted one does not load: \(error)")
        }
        return .accepted
    }

    private func readMapping(_ url: URL, output: URL) -> RobustnessOutcome {
        let mapping: ColorMapping
        do throws(CalibrationError) { mapping = try ColorMapping(contentsOf: url) } catch {
            return Self.rejection(error, naming: url.lastPathComponent)
        }
        let image = PackedImage(height: 4, width: 6, values: (0..<96).map { Float(($0 * 29) % 97) / 96 })
        let mapped = mapping.apply(to: image)
        guard mapped.height == 4, mapped.width == 6 else { return .finding("applying a mapping changed the image size") }
        let written = output.appendingPathComponent("copy.json")
        do throws(CalibrationError) { try mapping.write(to: written) } catch {
            return Self.contents(of: output).isEmpty ? .accepted : .finding("a failed mapping write left \(Self.contents(of: output))")
        }
        do throws(CalibrationError) {
            guard try ColorMapping(contentsOf: written).kind == mapping.kind else { return .finding("the mapping written reads back another kind") }
        } catch {
            return .finding("the mapping written does not read back: \(error)")
        }
        return .accepted
    }

    private func readManifest(_ url: URL, folder: URL) -> RobustnessOutcome {
        let manifest: SyntheticDatasetManifest
        do {
            manifest = try JSONDecoder().decode(SyntheticDatasetManifest.self, from: Data(contentsOf: url))
        } catch let error as DecodingError {
            _ = error
            return .rejected(Self.kind(of: error))
        } catch {
            return .finding("decoding dataset.json threw the untyped \(type(of: error)): \(error)")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        do {
            let again = try JSONDecoder().decode(SyntheticDatasetManifest.self, from: encoder.encode(manifest))
            guard again == manifest else { return .finding("an accepted dataset.json does not round-trip") }
        } catch {
            return .finding("an accepted dataset.json does not re-encode: \(error)")
        }
        // A resumed generation checks the manifest it finds; only the built-in seed's settings can match.
        guard let generator = manifestGeneratorCache else { return .accepted }
        do throws(SyntheticDatasetError) {
            _ = try generator.generate(into: folder)
        } catch {
            switch error {
            case .conflictingDataset, .unreadableManifest: return Self.rejection(error, naming: "dataset.json")
            default: return .finding("a resumed generation failed: \(error)")
            }
        }
        return .accepted
    }
}
