import Calibration
import Foundation
import Raw2RawModel
import RawIO
import RawSupport

/// Least-squares baselines for two cameras that share no anchor scene: chains of fits through
/// the cameras that connect them.
///
/// Along the shortest chain of the anchor graph (RawIO's `CameraGraph.path(from:to:)`), each hop
/// `u -> v` is fitted on the anchor scenes `u` and `v` share, and an image is mapped hop by hop
/// (each hop's output clipped to [0, 1], as a camera's raw values are). The names end in
/// ``suffix``: `single-calibration-3x3-chain`, `anchor-linear3x3-chain`, and so on.
public enum ChainBaselines {
    /// What a chain baseline's name ends with: `-chain`.
    public static let suffix = "-chain"

    /// The chained baselines for the ordered pair `source -> target` and back: a single
    /// calibration (a 3x3 fitted on each hop's first anchor scene by name) and every kind of
    /// ``BaselineMethods/anchorKinds`` fitted on each hop's anchors, each chained along the
    /// shortest path in each direction.
    /// - Parameters:
    ///   - layout: the dataset.
    ///   - graph: the anchor graph of the evaluated cameras.
    ///   - cameraA: the evaluation's first camera (direction A->B maps it to `cameraB`).
    ///   - cameraB: the evaluation's second camera.
    ///   - maxPixelsPerPair: the most pixels of each anchor pair used for fitting.
    ///   - options: least-squares options.
    /// - Returns: the methods and, per direction, the chain they follow.
    /// - Throws: ``EvaluationError/dataset(_:)`` when no chain joins the cameras or the anchors
    ///   cannot be read, ``EvaluationError/calibration(method:error:)`` when a hop cannot be fitted.
    public static func fit(layout: DatasetLayout, graph: CameraGraph, cameraA: String, cameraB: String,
                           maxPixelsPerPair: Int = 1 << 18, options: FitOptions = FitOptions())
        throws(EvaluationError) -> (methods: [EvaluationMethod], paths: DirectionPair<[String]>) {
        guard let forward = graph.path(from: cameraA, to: cameraB), let backward = graph.path(from: cameraB, to: cameraA) else {
            throw .dataset(.emptySet(path: layout.folder(.anchor, camera: cameraB).path))
        }
        var anchors: [String: (a: [PackedImage], b: [PackedImage])] = [:]
        func hopAnchors(_ u: String, _ v: String) throws(EvaluationError) -> (source: [PackedImage], target: [PackedImage]) {
            let key = u < v ? "\(u)\u{0}\(v)" : "\(v)\u{0}\(u)"
            if anchors[key] == nil {
                let first = u < v ? u : v, second = u < v ? v : u
                let set: PackedImagePairSet
                do { set = try layout.anchorPairs(cameraA: first, cameraB: second) } catch { throw .dataset(error) }
                anchors[key] = try BaselineMethods.loadStrided(anchors: set, maxPixelsPerPair: maxPixelsPerPair)
            }
            let pair = anchors[key]!
            return u < v ? (pair.a, pair.b) : (pair.b, pair.a)
        }
        func chain(_ path: [String], name: String, single: Bool,
                   kind: ColorMapping.Kind) throws(EvaluationError) -> [ColorMapping] {
            var hops: [ColorMapping] = []
            for (u, v) in zip(path, path.dropFirst()) {
                let (s, t) = try hopAnchors(u, v)
                do {
                    hops.append(try ColorMapping.fit(kind, sources: single ? [s[0]] : s, targets: single ? [t[0]] : t, options: options))
                } catch {
                    throw .calibration(method: "\(name) (\(u)->\(v))", error: error)
                }
            }
            return hops
        }
        var methods: [EvaluationMethod] = []
        let specs: [(String, Bool, ColorMapping.Kind)] = [(BaselineMethods.singleCalibrationName, true, .linear3x3)]
            + BaselineMethods.anchorKinds.map { (BaselineMethods.anchorName($0), false, $0) }
        for (base, single, kind) in specs {
            let name = base + suffix
            let ab = try chain(forward, name: name, single: single, kind: kind)
            let ba = try chain(backward, name: name, single: single, kind: kind)
            methods.append(EvaluationMethod(name: name) { image, direction in
                (direction == .aToB ? ab : ba).reduce(image) { $1.apply(to: $0) }
            })
        }
        return (methods, DirectionPair(aToB: forward, bToA: backward))
    }
}

/// The evaluation of K >= 2 cameras: every pair of cameras that shares test scenes, both ways.
///
/// A pair that shares anchor scenes is compared with the usual baselines
/// (``Evaluator/standardMethods(layout:cameraA:cameraB:modelDirectory:tiling:oracles:)``); a pair
/// that shares none with ``ChainBaselines`` through the cameras that connect them. With a
/// `MultiCameraModel` the `learned` row maps each image with it, and for a pair that shares no
/// anchor scene a `learned-chain` row chains the model's own pairs along the same path as the
/// chained baselines (what training on carried anchors adds over chaining).
public struct MultiCameraEvaluation: Sendable {
    /// One evaluated pair of cameras.
    public struct Pair: Sendable {
        /// The pair's first camera.
        public var cameraA: String
        /// The pair's second camera.
        public var cameraB: String
        /// The anchor scenes the two share (0: the baselines are chains).
        public var sharedAnchors: Int
        /// The chain of cameras each direction's chained baselines follow (`[a, b]` for a pair
        /// that shares anchors).
        public var paths: DirectionPair<[String]>
        /// The pair's report (directions A->B and B->A are `cameraA->cameraB` and back).
        public var report: EvaluationReport

        /// The camera names of `direction`: `(source, target)`.
        public func cameras(_ direction: MappingDirection) -> (source: String, target: String) {
            direction == .aToB ? (cameraA, cameraB) : (cameraB, cameraA)
        }
    }

    /// One row of the evaluation: a method in one ordered pair of cameras.
    public struct Row: Sendable, Codable, Equatable {
        /// `source->target`, from the camera folder names.
        public var direction: String
        /// The source camera.
        public var source: String
        /// The target camera.
        public var target: String
        /// The anchor scenes the two cameras share (0: chained baselines).
        public var sharedAnchors: Int
        /// The chain of cameras the chained baselines follow (`[source, target]` when they share anchors).
        public var path: [String]
        /// The method's name.
        public var method: String
        /// Test pairs evaluated.
        public var imageCount: Int
        /// Mean PSNR over images (dB).
        public var psnr: Double
        /// Median PSNR over images (dB).
        public var psnrMedian: Double
        /// Mean MAE over images.
        public var mae: Double
        /// Mean over images of the mean angular error (degrees), if any pixel qualifies.
        public var angularErrorMean: Double?
        /// Mean over images of the median angular error (degrees).
        public var angularErrorMedian: Double?
    }

    /// The cameras evaluated, in the order given.
    public var cameras: [String]
    /// The anchor graph of the cameras.
    public var graph: CameraGraph
    /// Every pair of cameras that shares test scenes, in camera order.
    public var pairs: [Pair]

    /// Evaluates every pair of `cameras` that shares test scenes.
    /// - Parameters:
    ///   - layout: the dataset.
    ///   - cameras: two or more camera folder names.
    ///   - model: a trained multi-camera model of these cameras, evaluated as `learned`.
    ///   - tiling: how the model maps whole images.
    ///   - progress: called after each test pair with the camera pair being evaluated.
    /// - Throws: ``EvaluationError``; ``EvaluationError/dataset(_:)`` when the anchors do not
    ///   connect a pair that has test scenes, or no pair shares a test scene.
    public static func run(layout: DatasetLayout, cameras: [String], model: MultiCameraModel? = nil,
                           tiling: TilingOptions = .default,
                           progress: ((_ cameraA: String, _ cameraB: String, EvaluationProgress) -> Void)? = nil)
        throws(EvaluationError) -> MultiCameraEvaluation {
        precondition(cameras.count >= 2 && Set(cameras).count == cameras.count, "give two or more distinct cameras, got \(cameras)")
        let graph: CameraGraph
        do { graph = try layout.cameraGraph(cameras: cameras) } catch { throw .dataset(error) }
        var pairs: [Pair] = []
        for (i, a) in cameras.enumerated() {
            for b in cameras[(i + 1)...] {
                let tests: PackedImagePairSet
                do {
                    let shared = Set(try layout.sceneNames(.test, camera: a)).intersection(try layout.sceneNames(.test, camera: b))
                    if shared.isEmpty { continue }
                    tests = try layout.testPairs(cameraA: a, cameraB: b)
                } catch {
                    throw .dataset(error)
                }
                let shared = graph.edge(a, b)?.scenes.count ?? 0
                var methods: [EvaluationMethod]
                var paths = DirectionPair(aToB: [a, b], bToA: [b, a])
                if shared > 0 {
                    methods = try Evaluator.standardMethods(layout: layout, cameraA: a, cameraB: b)
                } else {
                    let chained = try ChainBaselines.fit(layout: layout, graph: graph, cameraA: a, cameraB: b)
                    methods = [.identity] + chained.methods
                    paths = chained.paths
                }
                if let model {
                    for name in [a, b] where !model.cameras.contains(name) {
                        throw .model(.unknownCamera(name: name, available: model.cameras))
                    }
                    methods.append(EvaluationMethod(name: learnedName) { image, direction in
                        try model.map(image, from: direction == .aToB ? a : b, to: direction == .aToB ? b : a, tiling: tiling)
                    })
                    if shared == 0 {
                        // The ablation of carried anchors: the model's own pairs chained along the same path.
                        let p = paths
                        methods.append(EvaluationMethod(name: learnedChainName) { image, direction in
                            let path = direction == .aToB ? p.aToB : p.bToA
                            var out = image
                            for (u, v) in zip(path, path.dropFirst()) { out = try model.map(out, from: u, to: v, tiling: tiling) }
                            return out
                        })
                    }
                }
                let report = try Evaluator(methods: methods, figurePairs: 0).evaluate(tests) { p in progress?(a, b, p) }
                pairs.append(Pair(cameraA: a, cameraB: b, sharedAnchors: shared, paths: paths, report: report))
            }
        }
        guard !pairs.isEmpty else {
            throw .dataset(.emptySet(path: layout.folder(.test, camera: cameras[0]).path))
        }
        return MultiCameraEvaluation(cameras: cameras, graph: graph, pairs: pairs)
    }

    /// The name of the model's own mapping: `learned`.
    public static let learnedName = "learned"
    /// The name of the model's pairs chained along the shortest path, for pairs that share no
    /// anchor scene (the ablation of training on carried anchors): `learned-chain`.
    public static let learnedChainName = "learned-chain"

    /// Every result as a row, pair by pair, direction A->B then B->A, methods in evaluation order.
    public var rows: [Row] {
        var rows: [Row] = []
        for pair in pairs {
            for direction in MappingDirection.allCases {
                let (source, target) = pair.cameras(direction)
                for r in pair.report.results where r.direction == direction {
                    rows.append(Row(direction: "\(source)->\(target)", source: source, target: target,
                                    sharedAnchors: pair.sharedAnchors, path: direction == .aToB ? pair.paths.aToB : pair.paths.bToA,
                                    method: r.method, imageCount: r.imageCount, psnr: r.psnr, psnrMedian: r.medianOverImages.psnr,
                                    mae: r.mae, angularErrorMean: r.angularErrorMean, angularErrorMedian: r.angularErrorMedian))
                }
            }
        }
        return rows
    }

    /// A Markdown table of every row; the best mean PSNR of each direction is in bold.
    public func markdownTable() -> String {
        var lines = [
            "| Direction | Anchors | Method | PSNR mean (dB) | PSNR median (dB) | MAE mean | Angular error mean (°) | Angular error median (°) |",
            "|---|---|---|---:|---:|---:|---:|---:|",
        ]
        let rows = self.rows
        var best: [String: Double] = [:]
        for r in rows where !r.psnr.isNaN { best[r.direction] = max(best[r.direction] ?? -.infinity, r.psnr) }
        for r in rows {
            let psnr = EvaluationReport.format(r.psnr, digits: 2)
            let anchors = r.sharedAnchors > 0 ? "\(r.sharedAnchors) shared" : "none, via " + CameraGraph.describe(r.path)
            lines.append("| \(r.direction) | \(anchors) | \(r.method) | \(best[r.direction] == r.psnr ? "**\(psnr)**" : psnr) | "
                         + "\(EvaluationReport.format(r.psnrMedian, digits: 2)) | \(EvaluationReport.format(r.mae, digits: 5)) | "
                         + "\(EvaluationReport.format(r.angularErrorMean, digits: 3)) | \(EvaluationReport.format(r.angularErrorMedian, digits: 3)) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One sentence per ordered pair comparing `method` with the best least-squares baseline
    /// (identity and the learned rows excluded) in mean PSNR, e.g. `cam1->cam3 (none, via cam1->cam2->cam3): learned 27.10 dB vs
    /// anchor-rootpoly2-chain 24.00 dB (+3.10 dB)`.
    public func bestBaselineComparison(of method: String = learnedName) -> [String] {
        var lines: [String] = []
        let rows = self.rows
        var directions: [String] = []
        for r in rows where !directions.contains(r.direction) { directions.append(r.direction) }
        for d in directions {
            let here = rows.filter { $0.direction == d }
            guard let m = here.first(where: { $0.method == method }),
                  let best = here.filter({ $0.method != EvaluationMethod.identityName && !$0.method.hasPrefix(Self.learnedName) })
                      .max(by: { $0.psnr < $1.psnr })
            else { continue }
            let delta = m.psnr - best.psnr
            let anchors = m.sharedAnchors > 0 ? "\(m.sharedAnchors) shared anchors" : "no shared anchors, via " + CameraGraph.describe(m.path)
            lines.append("\(d) (\(anchors)): \(method) \(EvaluationReport.format(m.psnr, digits: 2)) dB vs \(best.method) "
                         + "\(EvaluationReport.format(best.psnr, digits: 2)) dB (\(delta >= 0 ? "+" : "")\(EvaluationReport.format(delta, digits: 2)) dB)")
        }
        return lines
    }

    /// The rows as JSON: `{"cameras": [...], "results": [...]}`, keys sorted, pretty-printed;
    /// non-finite numbers as the strings `"Infinity"`, `"-Infinity"` and `"NaN"`.
    public func jsonData() -> Data {
        struct Document: Encodable { var cameras: [String]; var edges: [CameraGraph.Edge]; var results: [Row] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return (try? encoder.encode(Document(cameras: cameras, edges: graph.edges, results: rows))) ?? Data("{}".utf8)
    }

    /// Writes `report.md` (the table and the comparisons) and `results.json` into `folder`, each atomically.
    /// - Returns: the files written.
    /// - Throws: ``EvaluationError/writeFailed(path:reason:)``.
    @discardableResult
    public func write(to folder: URL, notes: [String] = []) throws(EvaluationError) -> [URL] {
        var lines = ["# raw2raw evaluation of \(cameras.count) cameras", ""]
        for note in notes { lines += [note, ""] }
        let edges = graph.edges.map { "\($0.cameraA)-\($0.cameraB) (\($0.scenes.count))" }
        lines += ["Anchor graph (shared anchor scenes): " + (edges.isEmpty ? "none" : edges.joined(separator: ", ")), "", markdownTable()]
        if rows.contains(where: { $0.method == Self.learnedName }) {
            lines += ["", "## learned vs the best baseline", ""]
            lines += bestBaselineComparison().map { "- " + $0 }
        }
        let markdown = lines
        let files = [("report.md", Data((markdown.joined(separator: "\n") + "\n").utf8)), ("results.json", jsonData())]
        var written: [URL] = []
        do {
            try AtomicFile.makeFolder(folder)
            for (name, data) in files {
                let url = folder.appendingPathComponent(name)
                try AtomicFile.write(data, to: url)
                written.append(url)
            }
        } catch {
            throw .writeFailed(path: error.path, reason: error.reason)
        }
        return written
    }
}
