import RawCore

/// The mean and median of one metric over a set of images.
public struct MetricAggregate: Sendable, Codable, Equatable {
    /// The mean over the images.
    public var mean: Double
    /// The median over the images (the mean of the two middle values for an even count).
    public var median: Double
    /// How many images had a value.
    public var count: Int

    /// Aggregates values (at least one).
    public init(_ values: [Double]) {
        precondition(!values.isEmpty, "an aggregate needs at least one value")
        var v = values
        count = v.count
        mean = v.reduce(0, +) / Double(v.count)
        let n = v.count
        let upper = Selection.select(&v, rank: n / 2)
        median = n % 2 == 1 ? upper : (upper + v[..<(n / 2)].max()!) / 2
    }
}

/// Metrics of a set of images: mean and median over the images of each per-image metric.
///
/// Angular statistics and SSIM aggregate over the images that have them (see ``ImageMetrics``).
/// The mean PSNR is infinite if any image is reproduced exactly.
public struct MetricSummary: Sendable, Codable, Equatable {
    /// The number of images.
    public var imageCount: Int
    /// PSNR in dB.
    public var psnr: MetricAggregate
    /// Mean absolute error.
    public var mae: MetricAggregate
    /// Root-mean-square error.
    public var rmse: MetricAggregate
    /// The per-image mean angular error, degrees.
    public var angularMean: MetricAggregate?
    /// The per-image median angular error, degrees.
    public var angularMedian: MetricAggregate?
    /// The per-image worst-25% angular error, degrees.
    public var angularWorst25: MetricAggregate?
    /// SSIM of the averaged-green channel.
    public var ssim: MetricAggregate?

    /// Aggregates per-image metrics (at least one image).
    public init(_ metrics: [ImageMetrics]) {
        precondition(!metrics.isEmpty, "a metric summary needs at least one image")
        imageCount = metrics.count
        psnr = MetricAggregate(metrics.map(\.psnr))
        mae = MetricAggregate(metrics.map(\.mae))
        rmse = MetricAggregate(metrics.map(\.rmse))
        let angular = metrics.compactMap(\.angularError)
        angularMean = angular.isEmpty ? nil : MetricAggregate(angular.map(\.mean))
        angularMedian = angular.isEmpty ? nil : MetricAggregate(angular.map(\.median))
        angularWorst25 = angular.isEmpty ? nil : MetricAggregate(angular.map(\.worst25))
        let s = metrics.compactMap(\.ssim)
        ssim = s.isEmpty ? nil : MetricAggregate(s)
    }
}

extension ColorMapping {
    /// Applies the mapping to each source and compares the result with its target.
    /// - Returns: one ``ImageMetrics`` per pair; aggregate them with ``MetricSummary/init(_:)``.
    public func metrics(sources: [PackedImage], targets: [PackedImage], precision: ApplyPrecision = .float32,
                        options: MetricOptions = MetricOptions()) -> [ImageMetrics] {
        precondition(sources.count == targets.count, "metrics need one target per source, got \(sources.count) and \(targets.count)")
        return zip(sources, targets).map { ImageMetrics(prediction: apply(to: $0, precision: precision), reference: $1, options: options) }
    }
}
