import Foundation
import Raw2RawModel
import RawIO

/// One training run's learning curve, as a figure draws it.
public struct LearningCurveSeries: Sendable, Equatable {
    /// The legend label (a preset or model folder name).
    public var label: String
    /// The run's log: one point per entry, at its elapsed training seconds.
    public var log: TrainingLog

    /// Creates a series.
    public init(label: String, log: TrainingLog) {
        self.label = label
        self.log = log
    }
}

/// A horizontal reference line of a learning-curve figure: a baseline's mean PSNR per direction.
public struct LearningCurveBaseline: Sendable, Equatable {
    /// The legend label (a method name).
    public var label: String
    /// Mean PSNR (dB) from A to B.
    public var psnrAToB: Double
    /// Mean PSNR (dB) from B to A.
    public var psnrBToA: Double

    /// Creates a baseline.
    public init(label: String, psnrAToB: Double, psnrBToA: Double) {
        self.label = label
        self.psnrAToB = psnrAToB
        self.psnrBToA = psnrBToA
    }

    /// The baseline's mean PSNR in `direction`.
    public func psnr(_ direction: MappingDirection) -> Double {
        direction == .aToB ? psnrAToB : psnrBToA
    }
}

extension LearningCurveBaseline {
    /// The baselines a report draws under a learning curve, measured by `report`: the single
    /// calibration (3x3) and, per direction, the best anchor least-squares fit (the highest
    /// mean PSNR among the `anchor-*` methods, labelled `best anchor least squares`). Methods the
    /// report lacks are left out.
    public static func standard(from report: EvaluationReport) -> [LearningCurveBaseline] {
        var out: [LearningCurveBaseline] = []
        if let ab = report.result(method: BaselineMethods.singleCalibrationName, direction: .aToB),
           let ba = report.result(method: BaselineMethods.singleCalibrationName, direction: .bToA) {
            out.append(LearningCurveBaseline(label: BaselineMethods.singleCalibrationName, psnrAToB: ab.psnr, psnrBToA: ba.psnr))
        }
        func bestAnchor(_ d: MappingDirection) -> Double? {
            report.results.filter { $0.direction == d && $0.method.hasPrefix("anchor-") && !$0.isOracle && $0.psnr.isFinite }
                .map(\.psnr).max()
        }
        if let ab = bestAnchor(.aToB), let ba = bestAnchor(.bToA) {
            out.append(LearningCurveBaseline(label: "best anchor least squares", psnrAToB: ab, psnrBToA: ba))
        }
        return out
    }
}

/// A learning-curve figure: mean validation PSNR against training time, one panel per direction
/// (A to B left, B to A right), one line per run, baselines as dashed horizontal lines, with
/// axes, tick labels, panel titles and a legend below the panels.
///
/// The x axis is the elapsed training seconds of each log entry (in minutes when the longest run
/// took more than three minutes), from 0; the y axis spans every point and baseline with a margin
/// of 4 % on each side, rounded out to its tick step.
public struct LearningCurveFigure: Sendable {
    /// The file name reports use: `learning-curve.png`.
    public static let fileName = "learning-curve.png"
    /// The runs drawn.
    public var series: [LearningCurveSeries]
    /// The horizontal lines.
    public var baselines: [LearningCurveBaseline]
    /// The picture.
    public var image: RGBImage8

    /// Line colours of the runs, in order (repeating).
    static let seriesColors: [SIMD3<UInt8>] = [
        SIMD3(31, 119, 180), SIMD3(255, 127, 14), SIMD3(44, 160, 44), SIMD3(214, 39, 40), SIMD3(148, 103, 189), SIMD3(140, 86, 75),
    ]
    /// Line colours of the baselines, in order (repeating).
    static let baselineColors: [SIMD3<UInt8>] = [SIMD3(0, 0, 0), SIMD3(128, 128, 128), SIMD3(188, 160, 0), SIMD3(23, 160, 180)]

    /// Where things go: the plot rectangles and the axis ranges.
    struct Layout {
        /// Font scale.
        var scale: Int
        /// Left, top, width and height of the plot area of each panel.
        var plots: [(x: Int, y: Int, width: Int, height: Int)]
        /// The x range in seconds and its tick step (in the display unit).
        var maxSeconds: Double
        /// Seconds per display unit (1 or 60).
        var unit: Double
        var xStep: Double
        /// The y range in dB and its tick step.
        var yMin: Double
        var yMax: Double
        var yStep: Double
        /// Canvas size.
        var width: Int
        var height: Int

        /// The pixel of (`seconds`, `psnr`) in panel `panel` (unclipped).
        func pixel(seconds: Double, psnr: Double, panel: Int) -> (x: Int, y: Int) {
            let p = plots[panel]
            let fx = maxSeconds > 0 ? seconds / maxSeconds : 0
            let fy = (psnr - yMin) / (yMax - yMin)
            return (p.x + Int((fx * Double(p.width - 1)).rounded()), p.y + p.height - 1 - Int((fy * Double(p.height - 1)).rounded()))
        }
    }

    /// The layout of this figure.
    let layout: Layout

    /// Draws the figure.
    /// - Parameters:
    ///   - series: the runs (at least one entry between them for a meaningful picture; an empty
    ///     figure still has axes).
    ///   - baselines: horizontal lines.
    ///   - plotWidth: the width of each panel's plot area, in pixels.
    ///   - plotHeight: the height of each panel's plot area, in pixels.
    ///   - scale: the font scale (the glyphs are 5x8 pixels at 1).
    public init(series: [LearningCurveSeries], baselines: [LearningCurveBaseline],
                plotWidth: Int = 440, plotHeight: Int = 300, scale: Int = 2) {
        precondition(plotWidth >= 50 && plotHeight >= 50 && scale >= 1, "the plot needs at least 50x50 pixels and a positive scale")
        self.series = series
        self.baselines = baselines
        let layout = Self.layout(series: series, baselines: baselines, plotWidth: plotWidth, plotHeight: plotHeight, scale: scale)
        self.layout = layout
        image = Self.draw(series: series, baselines: baselines, layout: layout)
    }

    /// A tick step of 1, 2 or 5 times a power of ten giving at most about `count` intervals over `span`.
    static func niceStep(_ span: Double, count: Int) -> Double {
        guard span > 0 && span.isFinite else { return 1 }
        let raw = span / Double(max(1, count))
        let power = pow(10, floor(log10(raw)))
        for m in [1.0, 2, 5, 10] where m * power >= raw { return m * power }
        return 10 * power
    }

    static func layout(series: [LearningCurveSeries], baselines: [LearningCurveBaseline],
                       plotWidth: Int, plotHeight: Int, scale: Int) -> Layout {
        let entries = series.flatMap(\.log.entries)
        let maxSeconds = max(entries.map(\.seconds).filter(\.isFinite).max() ?? 1, 1e-9)
        let unit = maxSeconds > 180 ? 60.0 : 1.0
        let xStep = niceStep(maxSeconds / unit, count: 6)
        let xMax = (maxSeconds / unit / xStep).rounded(.up) * xStep * unit
        var values = entries.flatMap { [$0.psnrAToB, $0.psnrBToA] }
        values += baselines.flatMap { [$0.psnrAToB, $0.psnrBToA] }
        values = values.filter(\.isFinite)
        var lo = values.min() ?? 0, hi = values.max() ?? 1
        if hi - lo < 1 { lo -= 0.5; hi += 0.5 }
        // A margin so that no marker sits on the frame.
        let pad = 0.04 * (hi - lo)
        lo -= pad
        hi += pad
        let yStep = niceStep(hi - lo, count: 6)
        let yMin = (lo / yStep).rounded(.down) * yStep, yMax = max((hi / yStep).rounded(.up) * yStep, yMin + yStep)
        let charH = BitmapFont.glyphHeight * scale, line = charH + 4 * scale
        let left = 6 * BitmapFont.advance * scale + 8 * scale, top = line + 4 * scale, gap = 10 * scale
        let plots = (0..<2).map { k in (x: left + k * (plotWidth + left + gap), y: top, width: plotWidth, height: plotHeight) }
        let legendRows = series.count + baselines.count
        let height = top + plotHeight + 2 * line + 4 * scale + legendRows * line + 4 * scale
        let width = 2 * (left + plotWidth) + gap + 3 * BitmapFont.advance * scale
        return Layout(scale: scale, plots: plots, maxSeconds: xMax, unit: unit, xStep: xStep, yMin: yMin, yMax: yMax, yStep: yStep,
                      width: width, height: height)
    }

    /// A tick label: as few decimals as the step needs.
    static func tickLabel(_ v: Double, step: Double) -> String {
        let decimals = step >= 1 ? 0 : Int((-log10(step)).rounded(.up))
        return String(format: "%.\(decimals)f", v)
    }

    static func draw(series: [LearningCurveSeries], baselines: [LearningCurveBaseline], layout l: Layout) -> RGBImage8 {
        var canvas = RGBImage8(width: l.width, height: l.height, pixels: [UInt8](repeating: 255, count: l.width * l.height * 3))
        let black = SIMD3<UInt8>(0, 0, 0), grid = SIMD3<UInt8>(225, 225, 225), s = l.scale
        let charH = BitmapFont.glyphHeight * s, line = charH + 4 * s
        func set(_ x: Int, _ y: Int, _ c: SIMD3<UInt8>) {
            if x >= 0 && y >= 0 && x < canvas.width && y < canvas.height { canvas[y, x] = c }
        }
        for (k, direction) in MappingDirection.allCases.enumerated() {
            let p = l.plots[k]
            let clip = (x0: p.x, y0: p.y, x1: p.x + p.width - 1, y1: p.y + p.height - 1)
            // Grid and ticks.
            var v = l.yMin
            while v <= l.yMax + l.yStep * 1e-6 {
                let y = l.pixel(seconds: 0, psnr: v, panel: k).y
                for x in p.x..<(p.x + p.width) { set(x, y, grid) }
                for x in (p.x - 3 * s)..<p.x { set(x, y, black) }
                let label = tickLabel(v, step: l.yStep)
                BitmapFont.draw(label, into: &canvas, x: p.x - 5 * s - BitmapFont.width(of: label, scale: s), y: y - charH / 2 + s,
                                scale: s, color: black)
                v += l.yStep
            }
            var t = 0.0
            while t * l.unit <= l.maxSeconds + 1e-9 {
                let x = l.pixel(seconds: t * l.unit, psnr: l.yMin, panel: k).x
                for y in p.y..<(p.y + p.height) { set(x, y, grid) }
                for y in (p.y + p.height)..<(p.y + p.height + 3 * s) { set(x, y, black) }
                let label = tickLabel(t, step: l.xStep)
                BitmapFont.draw(label, into: &canvas, x: x - BitmapFont.width(of: label, scale: s) / 2, y: p.y + p.height + 5 * s,
                                scale: s, color: black)
                t += l.xStep
            }
            // Axes (a frame).
            for x in p.x..<(p.x + p.width) { set(x, p.y, black); set(x, p.y + p.height - 1, black) }
            for y in p.y..<(p.y + p.height) { set(p.x, y, black); set(p.x + p.width - 1, y, black) }
            // Titles.
            let title = "\(direction): mean validation PSNR (dB)"
            BitmapFont.draw(title, into: &canvas, x: p.x, y: p.y - line, scale: s, color: black)
            let axis = l.unit == 60 ? "training time (min)" : "training time (s)"
            BitmapFont.draw(axis, into: &canvas, x: p.x + (p.width - BitmapFont.width(of: axis, scale: s)) / 2,
                            y: p.y + p.height + 5 * s + line, scale: s, color: black)
            // Baselines: dashed, 2 pixels thick.
            for (b, baseline) in baselines.enumerated() where baseline.psnr(direction).isFinite {
                let color = baselineColors[b % baselineColors.count]
                let y = l.pixel(seconds: 0, psnr: baseline.psnr(direction), panel: k).y
                for x in (p.x + 1)..<(p.x + p.width - 1) where (x - p.x) % (12 * s) < 8 * s {
                    for dy in 0..<2 where y + dy >= clip.y0 && y + dy <= clip.y1 { set(x, y + dy, color) }
                }
            }
            // Runs: solid lines, 2 pixels thick, a square marker at each validation.
            for (r, run) in series.enumerated() {
                let color = seriesColors[r % seriesColors.count]
                let points = run.log.entries.map { e in
                    l.pixel(seconds: e.seconds, psnr: direction == .aToB ? e.psnrAToB : e.psnrBToA, panel: k)
                }
                func dot(_ x: Int, _ y: Int, radius: Int) {
                    for dy in -radius...radius {
                        for dx in -radius...radius {
                            let px = x + dx, py = y + dy
                            if px >= clip.x0 && px <= clip.x1 && py >= clip.y0 && py <= clip.y1 { set(px, py, color) }
                        }
                    }
                }
                for (a, b) in zip(points, points.dropFirst()) {
                    let n = max(abs(b.x - a.x), abs(b.y - a.y), 1)
                    for i in 0...n {
                        let x = a.x + Int((Double((b.x - a.x) * i) / Double(n)).rounded())
                        let y = a.y + Int((Double((b.y - a.y) * i) / Double(n)).rounded())
                        dot(x, y, radius: 1)
                    }
                }
                for q in points { dot(q.x, q.y, radius: 2 + s / 2) }
            }
        }
        // Legend below the panels.
        var y = l.plots[0].y + l.plots[0].height + 5 * s + 2 * line
        let x0 = l.plots[0].x
        for (r, run) in series.enumerated() {
            let color = seriesColors[r % seriesColors.count]
            for x in x0..<(x0 + 20 * s) { for dy in -1...1 { set(x, y + charH / 2 + dy, color) } }
            BitmapFont.draw(run.label, into: &canvas, x: x0 + 24 * s, y: y, scale: s, color: black)
            y += line
        }
        for (b, baseline) in baselines.enumerated() {
            let color = baselineColors[b % baselineColors.count]
            for x in x0..<(x0 + 20 * s) where (x - x0) % (12 * s) < 8 * s { for dy in 0..<2 { set(x, y + charH / 2 + dy, color) } }
            let text = baseline.label + String(format: " (A->B %.2f dB, B->A %.2f dB)", baseline.psnrAToB, baseline.psnrBToA)
            BitmapFont.draw(text, into: &canvas, x: x0 + 24 * s, y: y, scale: s, color: black)
            y += line
        }
        return canvas
    }
}
