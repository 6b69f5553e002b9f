import Foundation
import RawIO
import Testing
@testable import Calibration

@Suite("Metrics")
struct MetricsTests {
    static var info: [String: Any] { Fixture.json("metrics.json") }

    static func images() -> [(PackedImage, PackedImage)] {
        let h = info["height"] as! Int, w = info["width"] as! Int, n = h * w * 4
        let p = Fixture.f32("metrics_prediction.f32"), r = Fixture.f32("metrics_reference.f32")
        return (0..<(info["images"] as! Int)).map {
            (PackedImage(height: h, width: w, values: Array(p[($0 * n)..<(($0 + 1) * n)])),
             PackedImage(height: h, width: w, values: Array(r[($0 * n)..<(($0 + 1) * n)])))
        }
    }

    static func close(_ a: Double, _ b: Double, _ rel: Double = 1e-10) -> Bool { abs(a - b) <= rel * max(1, abs(b)) }

    @Test("PSNR, MAE, RMSE, angular statistics and SSIM equal numpy/scipy on the fixture", arguments: [0, 1, 2])
    func perImage(index: Int) throws {
        let (pred, ref) = Self.images()[index]
        let expected = (Self.info["per_image"] as! [[String: Any]])[index]
        let m = ImageMetrics(prediction: pred, reference: ref)
        #expect(Self.close(m.psnr, expected["psnr"] as! Double))
        #expect(Self.close(m.mae, expected["mae"] as! Double))
        #expect(Self.close(m.rmse, expected["rmse"] as! Double))
        let a = try #require(m.angularError)
        #expect(a.pixelCount == expected["angular_count"] as! Int)
        // numpy used arccos, we use atan2: equal to ~1e-6 degrees for small angles.
        #expect(Self.close(a.mean, expected["angular_mean"] as! Double, 1e-7))
        #expect(Self.close(a.median, expected["angular_median"] as! Double, 1e-7))
        #expect(Self.close(a.worst25, expected["angular_worst25"] as! Double, 1e-7))
        #expect(Self.close(try #require(m.ssim), expected["ssim"] as! Double, 1e-12))
        #expect(m.pixelCount == 24 * 20)
    }

    @Test("mean and median over the set equal numpy's")
    func aggregate() {
        let metrics = Self.images().map { ImageMetrics(prediction: $0.0, reference: $0.1) }
        let s = MetricSummary(metrics)
        let agg = Self.info["aggregate"] as! [String: [String: Double]]
        func check(_ a: MetricAggregate?, _ key: String, _ rel: Double = 1e-10) {
            guard let a else { Issue.record("missing \(key)"); return }
            #expect(Self.close(a.mean, agg[key]!["mean"]!, rel) && Self.close(a.median, agg[key]!["median"]!, rel), "\(key)")
            #expect(a.count == 3)
        }
        #expect(s.imageCount == 3)
        check(s.psnr, "psnr"); check(s.mae, "mae"); check(s.rmse, "rmse"); check(s.ssim, "ssim")
        check(s.angularMean, "angular_mean", 1e-7); check(s.angularMedian, "angular_median", 1e-7)
        check(s.angularWorst25, "angular_worst25", 1e-7)
        let two = MetricAggregate([3, 1, 10, 2])
        #expect(two.median == 2.5 && two.mean == 4)
    }

    @Test("identical images: infinite PSNR, zero errors, SSIM 1; tiny images have no SSIM; black images no angle")
    func edgeCases() {
        var rng = TestRandom(41)
        let a = rng.image(height: 12, width: 13)
        let same = ImageMetrics(prediction: a, reference: a)
        #expect(same.psnr == .infinity && same.mae == 0 && same.rmse == 0)
        #expect(same.angularError!.mean == 0 && same.angularError!.worst25 == 0)
        #expect(abs(same.ssim! - 1) < 1e-12)
        let small = rng.image(height: 10, width: 30)
        #expect(ImageMetrics(prediction: small, reference: small).ssim == nil)
        let black = PackedImage(height: 12, width: 13, values: [Float](repeating: 0.001, count: 624))
        #expect(ImageMetrics(prediction: black, reference: a).angularError == nil)
        #expect(ImageMetrics(prediction: a, reference: a, options: MetricOptions(computesSSIM: false)).ssim == nil)
        // A known angle: (1, 0, 0) against (1, 1, 0) is 45 degrees; PSNR of a constant 0.1 error is 20 dB.
        let p = PackedImage(height: 1, width: 1, values: [0.5, 0, 0, 0]), r = PackedImage(height: 1, width: 1, values: [0.5, 0.5, 0.5, 0])
        let m = ImageMetrics(prediction: p, reference: r)
        #expect(abs(m.angularError!.mean - 45) < 1e-12)
        let c = PackedImage(height: 2, width: 2, values: [Float](repeating: 0.5, count: 16))
        let d = PackedImage(height: 2, width: 2, values: [Float](repeating: 0.25, count: 16))
        #expect(abs(ImageMetrics(prediction: c, reference: d).psnr - 20 * log10(4)) < 1e-12)
    }

    @Test("selection-based median and worst 25% equal sorting on random data with ties")
    func orderStatistics() {
        var rng = TestRandom(42)
        for n in [1, 2, 3, 4, 5, 8, 100, 1001] {
            let values = (0..<n).map { _ in (rng.uniform(0, 10) * 4).rounded() / 4 }
            let sorted = values.sorted()
            let s = ImageMetrics.angularStatistics(values)!
            let median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
            let k = (n + 3) / 4
            #expect(s.median == median)
            #expect(abs(s.worst25 - sorted.suffix(k).reduce(0, +) / Double(k)) < 1e-12)
        }
    }

    @Test("a fitted mapping brings the source closer to the target than doing nothing")
    func mappingImproves() throws {
        var rng = TestRandom(43)
        let sources = (0..<3).map { _ in rng.image(height: 16, width: 16, lo: 0.05, hi: 0.6) }
        let truth = plausibleMapping(.paperPolynomial, seed: 44)
        let targets = sources.map { truth.apply(to: $0) }
        let m = try ColorMapping.fit(.affine, sources: sources, targets: targets)
        let fitted = MetricSummary(m.metrics(sources: sources, targets: targets))
        let none = MetricSummary(ColorMapping.identity(.linear4x4).metrics(sources: sources, targets: targets))
        #expect(fitted.psnr.mean > none.psnr.mean + 10)
        #expect(fitted.angularMean!.mean < none.angularMean!.mean)
    }
}
