import Foundation
import RawIO
@testable import Raw2RawModel

/// A small synthetic two-camera dataset written as `.mat` files in the paper's layout.
///
/// Scenes are smooth colour blobs on a gradient, in camera A's packed space, under a per-scene
/// illuminant (a colour cast). Camera B sees `clip(s ⊙ k(M a))`: a fixed 4x4 cross-talk matrix
/// `M` (greens not equal), a smooth per-pixel nonlinearity `k` (a different tone curve per
/// channel, which no global polynomial fit of low degree matches well), and a small
/// scene-dependent gain `s = illuminant^0.1` that no global mapping can represent (but that a
/// thumbnail of the scene reveals through its colour cast). Unpaired scenes differ per camera;
/// anchor and test pairs show the same scene to both cameras, pixel-aligned.
struct SyntheticDataset {
    let root: URL
    let size: Int

    /// What camera B does differently.
    enum Response {
        /// Strong per-channel tone curves, weak scene dependence (`s = illuminant^0.1`).
        case toneCurves
        /// A mild compressive curve `v - 0.3 v²` and strong scene dependence (`s = illuminant^0.3`).
        case illuminant
        /// Exactly the cross-talk matrix `M a` (clipped at 1): no tone curve, no scene dependence.
        case matrix
    }

    static let matrix: [[Float]] = [
        [0.80, 0.12, 0.03, 0.02],
        [0.10, 0.78, 0.06, 0.06],
        [0.04, 0.10, 0.72, 0.12],
        [0.01, 0.06, 0.16, 0.74],
    ]

    /// One scene in camera A's space and its illuminant.
    static func sceneA(size: Int, generator g: inout SeededGenerator) -> (image: PackedImage, illuminant: SIMD4<Float>) {
        let ill = SIMD4<Float>(0.6 + 0.8 * g.nextUniform(), 1, 1, 0.6 + 0.8 * g.nextUniform())
        var blobs: [(y: Float, x: Float, r: Float, colour: SIMD4<Float>)] = []
        for _ in 0..<6 {
            let c = SIMD4<Float>(0.1 + 0.5 * g.nextUniform(), 0.1 + 0.5 * g.nextUniform(), 0, 0.1 + 0.5 * g.nextUniform())
            blobs.append((g.nextUniform() * Float(size), g.nextUniform() * Float(size), Float(size) * (0.1 + 0.25 * g.nextUniform()),
                          SIMD4(c[0], c[1], c[1] * 0.97, c[3])))
        }
        let bg = SIMD4<Float>(0.1 + 0.2 * g.nextUniform(), 0.1 + 0.2 * g.nextUniform(), 0, 0.1 + 0.2 * g.nextUniform())
        let background = SIMD4<Float>(bg[0], bg[1], bg[1] * 0.98, bg[3])
        var values = [Float](repeating: 0, count: size * size * 4)
        for y in 0..<size {
            for x in 0..<size {
                var p = background * (0.7 + 0.6 * Float(x + y) / Float(2 * size))
                for b in blobs {
                    let d2 = ((Float(y) - b.y) * (Float(y) - b.y) + (Float(x) - b.x) * (Float(x) - b.x)) / (b.r * b.r)
                    let w = Foundation.exp(-d2)
                    p = p * (1 - w) + b.colour * w
                }
                let texture: Float = 1 + 0.05 * Foundation.sin(Float(x) * 0.9) * Foundation.cos(Float(y) * 0.7)
                p = p * ill * texture
                for c in 0..<4 { values[(y * size + x) * 4 + c] = min(max(p[c] + 0.003 * (g.nextUniform() - 0.5), 0), 1) }
            }
        }
        return (PackedImage(height: size, width: size, values: values), ill)
    }

    /// The per-channel tone curve of camera B: smooth, monotonic, different per channel.
    static func curve(_ v: Float, channel: Int) -> Float {
        let k: [Float] = [3, 1.5, 1.2, 4]
        return (1 - Foundation.exp(-k[channel] * v)) / (1 - Foundation.exp(-k[channel]))
    }

    /// Camera B's view of a scene of camera A.
    static func cameraB(_ a: PackedImage, illuminant: SIMD4<Float>, response: Response) -> PackedImage {
        let e: Float = switch response { case .toneCurves: 0.1; case .illuminant: 0.3; case .matrix: 0 }
        let s = SIMD4<Float>(Foundation.pow(illuminant[0], e), 1, 1, Foundation.pow(illuminant[3], e))
        var out = a.values
        for i in 0..<a.pixelCount {
            let p = a.pixel(y: i / a.width, x: i % a.width)
            for c in 0..<4 {
                let m = matrix[c]
                let lin = max(0, m[0] * p[0] + m[1] * p[1] + m[2] * p[2] + m[3] * p[3])
                let k = switch response { case .toneCurves: curve(lin, channel: c); case .illuminant: lin - 0.3 * lin * lin; case .matrix: lin }
                out[i * 4 + c] = min(1, s[c] * k)
            }
        }
        return PackedImage(height: a.height, width: a.width, values: out)
    }

    /// Writes the dataset: `unpaired` scenes per camera, `anchors` anchor pairs and `tests` test pairs.
    init(unpaired: Int = 10, anchors: Int = 6, tests: Int = 6, size: Int = 64, seed: UInt64 = 1, response: Response = .toneCurves) {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("raw2raw-model-tests-\(UUID().uuidString)")
        self.size = size
        var g = SeededGenerator(seed: seed)
        func write(_ image: PackedImage, _ split: DatasetSplit, _ camera: String, _ name: String) {
            let folder = root.appendingPathComponent(split.relativePath(camera: camera))
            try! FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try! image.writeMAT(to: folder.appendingPathComponent(name + ".mat"))
        }
        for i in 0..<unpaired {
            write(Self.sceneA(size: size, generator: &g).image, .unpaired, "A", "ua\(i)")
            let s = Self.sceneA(size: size, generator: &g)
            write(Self.cameraB(s.image, illuminant: s.illuminant, response: response), .unpaired, "B", "ub\(i)")
        }
        for (split, count, prefix) in [(DatasetSplit.anchor, anchors, "anchor"), (.test, tests, "test")] {
            for i in 0..<count {
                let s = Self.sceneA(size: size, generator: &g)
                write(s.image, split, "A", "\(prefix)\(i)")
                write(Self.cameraB(s.image, illuminant: s.illuminant, response: response), split, "B", "\(prefix)\(i)")
            }
        }
    }

    var layout: DatasetLayout { try! DatasetLayout(root: root) }

    func trainingData() throws(TrainingError) -> TrainingData {
        try TrainingData(layout: layout, cameraA: "A", cameraB: "B")
    }

    func remove() { try? FileManager.default.removeItem(at: root) }

    /// A fresh temporary model folder.
    static func modelFolder() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("raw2raw-model-out-\(UUID().uuidString)")
    }
}

extension TrainingConfiguration {
    /// A tiny version of a preset for fast tests.
    static func tiny(_ base: TrainingConfiguration = .default, steps: Int = 60) -> TrainingConfiguration {
        var c = base
        c.model.channels = [8, 16]
        if c.model.architecture == .residual {
            c.model.contextWidth = 8
        }
        c.model.thumbnailSize = 16
        c.sampling.patchSize = 32
        c.sampling.unpairedBatchSize = 4
        c.sampling.anchorBatchSize = 4
        c.optimization.steps = steps
        c.monitoring.checkpointInterval = 0
        c.monitoring.validationInterval = 0
        c.sampling.baseFitPixelsPerPair = 4096
        return c
    }
}
