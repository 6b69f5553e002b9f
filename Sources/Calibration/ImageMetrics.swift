import RawSupport
import Foundation
import RawCore

/// Settings of ``ImageMetrics``.
public struct MetricOptions: Sendable, Codable, Equatable {
    /// The peak signal value for PSNR and the data range of SSIM (1 for normalized raw).
    public var peak: Double
    /// A pixel is left out of the angular error when, in the prediction or the reference, all
    /// three RGB values (greens averaged) are at or below this value: its colour is noise.
    public var angularBlackThreshold: Double
    /// Whether to compute SSIM (the most expensive metric).
    public var computesSSIM: Bool

    /// Creates metric options: peak 1, angular black threshold 0.002, SSIM on.
    public init(peak: Double = 1, angularBlackThreshold: Double = 0.002, computesSSIM: Bool = true) {
        precondition(peak > 0 && peak.isFinite, "the peak must be positive, got \(peak)")
        precondition(angularBlackThreshold >= 0, "the angular black threshold must be >= 0, got \(angularBlackThreshold)")
        self.peak = peak
        self.angularBlackThreshold = angularBlackThreshold
        self.computesSSIM = computesSSIM
    }
}

/// Statistics of the per-pixel angular error, in degrees.
public struct AngularErrorStatistics: Sendable, Codable, Equatable {
    /// The mean angle.
    public var mean: Double
    /// The median angle (the mean of the two middle values for an even count).
    public var median: Double
    /// The mean of the largest quarter of the angles (the largest `⌈n / 4⌉`).
    public var worst25: Double
    /// How many pixels the statistics cover (pixels not near black).
    public var pixelCount: Int

    /// Creates angular error statistics.
    public init(mean: Double, median: Double, worst25: Double, pixelCount: Int) {
        self.mean = mean
        self.median = median
        self.worst25 = worst25
        self.pixelCount = pixelCount
    }
}

/// How close a predicted packed image is to its reference: PSNR, MAE, RMSE, angular error and SSIM.
///
/// - PSNR, MAE and RMSE are over all values of the four packed channels; PSNR is
///   `10 log10(peak² / MSE)` (infinite for identical images).
/// - The angular error is the angle in degrees between the RGB vectors `(r, (gr + gb) / 2, b)`
///   of prediction and reference at each pixel, computed as `atan2(‖a × b‖, a · b)`, leaving out
///   near-black pixels (``MetricOptions/angularBlackThreshold``). `nil` when no pixel qualifies.
/// - SSIM (Wang et al. 2004) is computed on the averaged-green channel `(gr + gb) / 2` with an
///   11x11 Gaussian window of σ = 1.5, `K1 = 0.01`, `K2 = 0.03`, the data range `peak`, over the
///   positions where the window fits inside the image (MATLAB's `ssim_index`, and scikit-image's
///   `structural_similarity` with `gaussian_weights=True, use_sample_covariance=False`). `nil`
///   when the image is smaller than 11x11 or SSIM is turned off.
public struct ImageMetrics: Sendable, Codable, Equatable {
    /// Peak signal-to-noise ratio in dB; `+infinity` for identical images (encoding that as JSON
    /// needs a `JSONEncoder.nonConformingFloatEncodingStrategy`).
    public var psnr: Double
    /// Mean absolute error.
    public var mae: Double
    /// Root-mean-square error.
    public var rmse: Double
    /// Angular error statistics (degrees), `nil` if every pixel is near black.
    public var angularError: AngularErrorStatistics?
    /// Mean structural similarity of the averaged-green channel.
    public var ssim: Double?
    /// The number of packed pixels compared.
    public var pixelCount: Int

    /// Creates metrics from their values.
    public init(psnr: Double, mae: Double, rmse: Double, angularError: AngularErrorStatistics?, ssim: Double?, pixelCount: Int) {
        self.psnr = psnr
        self.mae = mae
        self.rmse = rmse
        self.angularError = angularError
        self.ssim = ssim
        self.pixelCount = pixelCount
    }

    /// Compares a prediction with its reference; both must have the same size.
    public init(prediction: PackedImage, reference: PackedImage, options: MetricOptions = MetricOptions()) {
        precondition(prediction.height == reference.height && prediction.width == reference.width,
                     "metrics need images of the same size, got \(prediction.height)x\(prediction.width) and \(reference.height)x\(reference.width)")
        let pixels = prediction.pixelCount
        let (sumAbs, sumSq, angles) = Self.errorsAndAngles(prediction.values, reference.values, pixels: pixels,
                                                           threshold: options.angularBlackThreshold)
        let count = Double(pixels * 4)
        let mse = sumSq / count
        psnr = 10 * log10(options.peak * options.peak / mse)
        mae = sumAbs / count
        rmse = mse.squareRoot()
        pixelCount = pixels
        angularError = Self.angularStatistics(angles)
        ssim = options.computesSSIM ? SSIM.mean(prediction, reference, dataRange: options.peak) : nil
    }

    /// Absolute and squared error sums, and the angles of the pixels that are not near black.
    private static func errorsAndAngles(_ a: [Float], _ b: [Float], pixels: Int, threshold: Double)
        -> (Double, Double, [Double]) {
        let chunk = 65_536
        let chunks = (pixels + chunk - 1) / chunk
        let parts = ResultSlots<(Double, Double, [Double])>(count: chunks)
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                parts.withSlots { set in
                    Parallel.forEach(chunks) { c in
                        var sumAbs = 0.0, sumSq = 0.0
                        var angles: [Double] = []
                        angles.reserveCapacity(min(chunk, pixels - c * chunk))
                        for i in (c * chunk)..<min(pixels, (c + 1) * chunk) {
                            var pa = SIMD4<Double>(), pb = SIMD4<Double>()
                            for k in 0..<4 {
                                pa[k] = Double(ap[4 * i + k]); pb[k] = Double(bp[4 * i + k])
                            }
                            let d = pa - pb
                            sumAbs += abs(d[0]) + abs(d[1]) + abs(d[2]) + abs(d[3])
                            sumSq += (d * d).sum()
                            let u = SIMD3(pa[0], (pa[1] + pa[2]) / 2, pa[3])
                            let v = SIMD3(pb[0], (pb[1] + pb[2]) / 2, pb[3])
                            if u.max() <= threshold || v.max() <= threshold { continue }
                            let cross = SIMD3(u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0])
                            let angle = atan2((cross * cross).sum().squareRoot(), (u * v).sum())
                            angles.append(angle * 180 / .pi)
                        }
                        set(c, (sumAbs, sumSq, angles))
                    }
                }
            }
        }
        var sumAbs = 0.0, sumSq = 0.0
        var angles: [Double] = []
        angles.reserveCapacity(pixels)
        for (a, s, ang) in parts.values { sumAbs += a; sumSq += s; angles += ang }
        return (sumAbs, sumSq, angles)
    }

    /// Mean, median and worst-25% mean of `angles` (reordered in place).
    static func angularStatistics(_ input: [Double]) -> AngularErrorStatistics? {
        var angles = input
        let n = angles.count
        guard n > 0 else { return nil }
        let mean = angles.reduce(0, +) / Double(n)
        // Worst 25%: the largest ⌈n/4⌉ values end up at the end after a selection.
        let k = (n + 3) / 4
        Selection.select(&angles, rank: n - k)
        let worst = angles[(n - k)...].reduce(0, +) / Double(k)
        let median: Double
        if n % 2 == 1 {
            median = Selection.select(&angles, rank: n / 2)
        } else {
            let upper = Selection.select(&angles, rank: n / 2)
            let lower = angles[..<(n / 2)].max()!
            median = (lower + upper) / 2
        }
        return AngularErrorStatistics(mean: mean, median: median, worst25: worst, pixelCount: n)
    }
}

/// Order statistics without sorting.
enum Selection {
    /// Reorders `values` so that `values[rank]` is the value a sort would put there, smaller or
    /// equal values before it and larger or equal after; returns it. Three-way partitioning
    /// keeps runs of equal values (many zero angles) linear.
    @discardableResult
    static func select(_ values: inout [Double], rank: Int) -> Double {
        precondition(rank >= 0 && rank < values.count)
        var lo = 0, hi = values.count - 1
        return values.withUnsafeMutableBufferPointer { v in
            while lo < hi {
                let mid = lo + (hi - lo) / 2
                // Median of three as the pivot.
                let a = v[lo], b = v[mid], c = v[hi]
                let pivot = max(min(a, b), min(max(a, b), c))
                var lt = lo, i = lo, gt = hi
                while i <= gt {
                    if v[i] < pivot { v.swapAt(lt, i); lt += 1; i += 1 } else if v[i] > pivot { v.swapAt(i, gt); gt -= 1 } else { i += 1 }
                }
                if rank < lt { hi = lt - 1 } else if rank > gt { lo = gt + 1 } else { return pivot }
            }
            return v[rank]
        }
    }
}

/// Mean SSIM with a Gaussian window, computed in row strips to bound memory.
enum SSIM {
    static let windowSize = 11
    static let sigma = 1.5

    /// The normalized 1-D Gaussian; its outer product is the normalized 11x11 window.
    static let kernel: [Double] = {
        let r = windowSize / 2
        let g = (-r...r).map { exp(-Double($0 * $0) / (2 * sigma * sigma)) }
        let s = g.reduce(0, +)
        return g.map { $0 / s }
    }()

    /// The averaged-green channel of a packed image, in Double.
    static func luminance(_ image: PackedImage) -> [Double] {
        var out = [Double](repeating: 0, count: image.pixelCount)
        image.values.withUnsafeBufferPointer { v in
            for i in 0..<image.pixelCount { out[i] = (Double(v[4 * i + 1]) + Double(v[4 * i + 2])) / 2 }
        }
        return out
    }

    static func mean(_ a: PackedImage, _ b: PackedImage, dataRange: Double) -> Double? {
        let h = a.height, w = a.width, k = windowSize
        guard h >= k && w >= k else { return nil }
        let x = luminance(a), y = luminance(b)
        let oh = h - k + 1, ow = w - k + 1
        let c1 = (0.01 * dataRange) * (0.01 * dataRange), c2 = (0.03 * dataRange) * (0.03 * dataRange)
        let strip = 32
        let strips = (oh + strip - 1) / strip
        let sums = ResultSlots<Double>(count: strips)
        let g = kernel
        sums.withSlots { set in
            Parallel.forEach(strips) { s in
                let r0 = s * strip, r1 = min(oh, r0 + strip)
                let inRows = r1 - r0 + k - 1
                // Horizontal pass of x, y, x², y², xy over the input rows the strip needs.
                var hx = [Double](repeating: 0, count: inRows * ow), hy = hx, hxx = hx, hyy = hx, hxy = hx
                for r in 0..<inRows {
                    let base = (r0 + r) * w
                    for c in 0..<ow {
                        var sx = 0.0, sy = 0.0, sxx = 0.0, syy = 0.0, sxy = 0.0
                        for t in 0..<k {
                            let xv = x[base + c + t], yv = y[base + c + t], gt = g[t]
                            sx += gt * xv; sy += gt * yv
                            sxx += gt * xv * xv; syy += gt * yv * yv; sxy += gt * xv * yv
                        }
                        let o = r * ow + c
                        hx[o] = sx; hy[o] = sy; hxx[o] = sxx; hyy[o] = syy; hxy[o] = sxy
                    }
                }
                var total = 0.0
                for r in 0..<(r1 - r0) {
                    for c in 0..<ow {
                        var mx = 0.0, my = 0.0, exx = 0.0, eyy = 0.0, exy = 0.0
                        for t in 0..<k {
                            let o = (r + t) * ow + c, gt = g[t]
                            mx += gt * hx[o]; my += gt * hy[o]
                            exx += gt * hxx[o]; eyy += gt * hyy[o]; exy += gt * hxy[o]
                        }
                        let vx = exx - mx * mx, vy = eyy - my * my, cxy = exy - mx * my
                        total += ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
                    }
                }
                set(s, total)
            }
        }
        return sums.values.reduce(0, +) / Double(oh * ow)
    }
}
