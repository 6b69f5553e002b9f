import Calibration
import Foundation
import Raw2RawModel
import RawIO

/// What an ``Evaluator`` has done so far, for progress output.
public struct EvaluationProgress: Sendable {
    /// Test pairs finished.
    public var completedPairs: Int
    /// Test pairs in all.
    public var totalPairs: Int
    /// The name of the pair just finished.
    public var pairName: String
}

/// Compares mapping methods on aligned test pairs, in both directions, with Calibration's metrics.
///
/// For every test pair (read one at a time, so memory holds one pair and its predictions), every
/// method and every direction, the evaluator maps the source image (an oracle, see
/// ``OracleMethods``, also receives the target) and compares the prediction with the target using
/// `ImageMetrics`; per-image metrics are then aggregated (mean and median
/// over images) into one ``EvaluationResult`` per method and direction. For the first
/// ``figurePairs`` pairs it also composes an ``EvaluationFigure`` per direction.
///
/// ```swift
/// let layout = try DatasetLayout(root: datasetURL)
/// let anchors = try layout.anchorPairs(cameraA: "a", cameraB: "b")
/// let methods = [EvaluationMethod.identity] + (try BaselineMethods.fit(anchors: anchors))
/// let report = try Evaluator(methods: methods).evaluate(try layout.testPairs(cameraA: "a", cameraB: "b"))
/// print(report.markdownTable())
/// ```
public struct Evaluator {
    /// The methods, in report order.
    public var methods: [EvaluationMethod]
    /// The directions evaluated. Default both.
    public var directions: [MappingDirection]
    /// Metric settings (peak, black threshold for angles, SSIM).
    public var metricOptions: MetricOptions
    /// How many test pairs (the first ones by name) get a figure. Default 3.
    public var figurePairs: Int
    /// Settings of the figures.
    public var figureStyle: EvaluationFigureStyle

    /// Creates an evaluator.
    /// - Parameters:
    ///   - methods: the methods to compare; names must be unique and the list not empty.
    ///   - directions: the directions to evaluate (default both).
    ///   - metricOptions: metric settings.
    ///   - figurePairs: how many test pairs get a figure (0: none).
    ///   - figureStyle: how figures look.
    public init(methods: [EvaluationMethod], directions: [MappingDirection] = MappingDirection.allCases,
                metricOptions: MetricOptions = MetricOptions(), figurePairs: Int = 3,
                figureStyle: EvaluationFigureStyle = EvaluationFigureStyle()) {
        precondition(!methods.isEmpty, "an evaluation needs at least one method")
        precondition(Set(methods.map(\.name)).count == methods.count,
                     "evaluation method names must be unique, got \(methods.map(\.name))")
        precondition(!directions.isEmpty, "an evaluation needs at least one direction")
        precondition(figurePairs >= 0, "figurePairs must be >= 0, got \(figurePairs)")
        self.methods = methods
        self.directions = directions
        self.metricOptions = metricOptions
        self.figurePairs = figurePairs
        self.figureStyle = figureStyle
    }

    /// Evaluates every method in every direction on the test pairs.
    /// - Parameters:
    ///   - pairs: the test pairs (first image: camera A).
    ///   - progress: called after each pair.
    /// - Throws: ``EvaluationError/dataset(_:)`` for unreadable pairs,
    ///   ``EvaluationError/methodFailed(method:direction:pair:reason:)`` or
    ///   ``EvaluationError/wrongOutputSize(method:direction:pair:expected:got:)``, or
    ///   ``EvaluationError/cancelled(completedPairs:)`` when the task is cancelled (checked before
    ///   each pair; nothing is written).
    public func evaluate(_ pairs: PackedImagePairSet,
                         progress: ((EvaluationProgress) -> Void)? = nil) throws(EvaluationError) -> EvaluationReport {
        precondition(pairs.count > 0, "an evaluation needs at least one test pair")
        // metrics[direction][method] = per-image metrics in pair order.
        var metrics = [[[ImageMetrics]]](repeating: [[ImageMetrics]](repeating: [], count: methods.count),
                                         count: directions.count)
        var figures: [EvaluationFigure] = []
        let names = pairs.names
        for i in 0..<pairs.count {
            if Task.isCancelled { throw .cancelled(completedPairs: i) }
            let pair: (a: PackedImage, b: PackedImage)
            do { pair = try pairs.pair(at: i) } catch { throw .dataset(error) }
            for (d, direction) in directions.enumerated() {
                let (source, target) = direction == .aToB ? (pair.a, pair.b) : (pair.b, pair.a)
                var predictions: [PackedImage] = []
                for (m, method) in methods.enumerated() {
                    let prediction: PackedImage
                    do { prediction = try method.predict(source: source, target: target, direction: direction) } catch {
                        throw .methodFailed(method: method.name, direction: direction, pair: names[i], reason: "\(error)")
                    }
                    guard prediction.height == source.height && prediction.width == source.width else {
                        throw .wrongOutputSize(method: method.name, direction: direction, pair: names[i],
                                               expected: [source.height, source.width], got: [prediction.height, prediction.width])
                    }
                    metrics[d][m].append(ImageMetrics(prediction: prediction, reference: target, options: metricOptions))
                    if i < figurePairs { predictions.append(prediction) }
                }
                if i < figurePairs {
                    figures.append(EvaluationFigure.compose(pair: names[i], direction: direction, source: source, target: target,
                                                            methods: methods.map(\.name), predictions: predictions,
                                                            style: figureStyle))
                }
            }
            progress?(EvaluationProgress(completedPairs: i + 1, totalPairs: pairs.count, pairName: names[i]))
        }
        var results: [EvaluationResult] = []
        for (d, direction) in directions.enumerated() {
            for (m, method) in methods.enumerated() {
                results.append(EvaluationResult(method: method.name, direction: direction, perImage: metrics[d][m],
                                                pairNames: names, oracle: method.isOracle))
            }
        }
        return EvaluationReport(results: results, pairNames: names, figures: figures)
    }
}

/// The metrics of one method in one direction, aggregated over the test pairs.
///
/// The top-level numbers are means over images: ``psnr`` of the per-image PSNR, ``mae`` of the
/// per-image MAE, ``angularErrorMean`` of the per-image mean angular error and
/// ``angularErrorMedian`` of the per-image median angular error (degrees). ``medianOverImages``
/// holds the same four numbers as medians over images; ``summary`` every aggregate of
/// Calibration's `MetricSummary` (RMSE, worst-25% angle, SSIM, ...).
public struct EvaluationResult: Sendable, Codable, Equatable {
    /// The four headline metrics, aggregated one way over the images.
    public struct Headline: Sendable, Codable, Equatable {
        /// PSNR in dB (infinite when every prediction is exact).
        public var psnr: Double
        /// Mean absolute error on [0, 1] values.
        public var mae: Double
        /// Per-image mean angular error, degrees; `nil` when every image is near black.
        public var angularErrorMean: Double?
        /// Per-image median angular error, degrees; `nil` when every image is near black.
        public var angularErrorMedian: Double?
    }

    /// The method's name.
    public var method: String
    /// The direction.
    public var direction: MappingDirection
    /// The number of test pairs.
    public var imageCount: Int
    /// Mean over images of the PSNR, dB.
    public var psnr: Double
    /// Mean over images of the MAE.
    public var mae: Double
    /// Mean over images of the per-image mean angular error, degrees.
    public var angularErrorMean: Double?
    /// Mean over images of the per-image median angular error, degrees.
    public var angularErrorMedian: Double?
    /// The same metrics as medians over images.
    public var medianOverImages: Headline
    /// Every aggregate of the per-image metrics.
    public var summary: MetricSummary
    /// The per-image metrics, keyed by pair name (`nil` in reports that leave them out).
    public var perImage: [String: ImageMetrics]?
    /// `true` when the method is an oracle (it uses the test target; an upper bound, not a
    /// method); `nil` otherwise, so ordinary rows' JSON has no `oracle` key.
    public var oracle: Bool?

    /// Whether the row is an oracle's (``oracle`` is `true`).
    public var isOracle: Bool { oracle == true }

    /// Aggregates per-image metrics (one per pair, in the order of `pairNames`).
    /// - Parameters:
    ///   - method: the method's name.
    ///   - direction: the direction.
    ///   - perImage: one metric per pair.
    ///   - pairNames: the pairs' names, in the order of `perImage`.
    ///   - oracle: whether the method is an oracle (see ``EvaluationMethod/isOracle``). Default `false`.
    public init(method: String, direction: MappingDirection, perImage: [ImageMetrics], pairNames: [String],
                oracle: Bool = false) {
        precondition(perImage.count == pairNames.count && !perImage.isEmpty,
                     "one metric per pair needed, got \(perImage.count) for \(pairNames.count) pairs")
        let s = MetricSummary(perImage)
        self.method = method
        self.direction = direction
        self.imageCount = perImage.count
        self.psnr = s.psnr.mean
        self.mae = s.mae.mean
        self.angularErrorMean = s.angularMean?.mean
        self.angularErrorMedian = s.angularMedian?.mean
        self.medianOverImages = Headline(psnr: s.psnr.median, mae: s.mae.median, angularErrorMean: s.angularMean?.median,
                                         angularErrorMedian: s.angularMedian?.median)
        self.summary = s
        self.perImage = Dictionary(zip(pairNames, perImage), uniquingKeysWith: { first, _ in first })
        self.oracle = oracle ? true : nil
    }
}
