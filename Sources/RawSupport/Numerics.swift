/// Small numeric helpers every module uses, each written once.
package enum Numerics {
    /// `x` clipped to `[0, 1]`, NaN becoming 0 (the rule for every mapped image raw2raw outputs).
    @inlinable @inline(__always)
    package static func clipUnit(_ x: Float) -> Float { x.isNaN ? 0 : min(max(x, 0), 1) }

    /// Every value of `values` clipped with ``clipUnit(_:)``.
    package static func clipUnit(_ values: [Float]) -> [Float] { values.map(clipUnit) }

    /// The `q` quantile of `values` (reordered in place), interpolating linearly between order
    /// statistics (NumPy's default, "linear").
    ///
    /// The two order statistics are found by selection (quickselect, expected linear time), not
    /// by sorting, so metering a 24-megapixel image costs one pass or two; the result is exactly
    /// that of sorting. Values must not be NaN.
    package static func quantile(_ values: inout [Double], _ q: Double) -> Double {
        precondition(!values.isEmpty, "a quantile needs values")
        precondition(q >= 0 && q <= 1, "a quantile's level lies in [0, 1], got \(q)")
        let position = q * Double(values.count - 1)
        let lower = Int(position.rounded(.down)), upper = min(lower + 1, values.count - 1)
        let f = position - Double(lower)
        return values.withUnsafeMutableBufferPointer { buffer -> Double in
            let a = select(buffer, lower)
            guard upper > lower, f > 0 else { return a }
            // After selection every value above `lower` is at least `a`: the next order statistic is their minimum.
            var b = buffer[upper]
            for i in (lower + 1)..<buffer.count where buffer[i] < b { b = buffer[i] }
            return a * (1 - f) + b * f
        }
    }

    /// Reorders `v` so that `v[k]` is its k-th smallest value, everything before it no larger and
    /// everything after it no smaller (Hoare partitioning around a median-of-three pivot).
    private static func select(_ v: UnsafeMutableBufferPointer<Double>, _ k: Int) -> Double {
        var lo = 0, hi = v.count - 1
        while hi > lo {
            let mid = lo + (hi - lo) / 2
            // Median of three into v[mid].
            if v[mid] < v[lo] { v.swapAt(mid, lo) }
            if v[hi] < v[lo] { v.swapAt(hi, lo) }
            if v[hi] < v[mid] { v.swapAt(hi, mid) }
            let pivot = v[mid]
            var i = lo, j = hi
            while i <= j {
                while v[i] < pivot { i += 1 }
                while v[j] > pivot { j -= 1 }
                if i <= j {
                    v.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if k <= j { hi = j } else if k >= i { lo = i } else { break }
        }
        return v[k]
    }

    /// The `q` quantile of already sorted `values`, as ``quantile(_:_:)``.
    package static func quantileOfSorted(_ values: [Double], _ q: Double) -> Double {
        precondition(!values.isEmpty, "a quantile needs values")
        let position = q * Double(values.count - 1)
        let lower = Int(position.rounded(.down)), upper = min(lower + 1, values.count - 1)
        let f = position - Double(lower)
        return values[lower] * (1 - f) + values[upper] * f
    }

    /// The smallest stride `s >= 1` (the same in both axes) that leaves at most `maxPixels`
    /// pixels of a `height x width` grid when every `s`-th row and column is kept.
    package static func evenStride(height: Int, width: Int, maxPixels: Int) -> Int {
        precondition(maxPixels >= 1, "an even subsample keeps at least one pixel, got \(maxPixels)")
        var s = 1
        while ((height + s - 1) / s) * ((width + s - 1) / s) > maxPixels { s += 1 }
        return s
    }

    /// Every `stride`-th pixel in both axes from (0, 0) of a row-major, channel-last grid:
    /// returns the kept values and the kept grid's size.
    package static func strided(_ values: [Float], height: Int, width: Int, channels: Int, stride: Int)
        -> (values: [Float], height: Int, width: Int) {
        precondition(stride >= 1, "the stride must be at least 1, got \(stride)")
        precondition(values.count == height * width * channels, "strided: \(values.count) values for \(height)x\(width)x\(channels)")
        if stride == 1 { return (values, height, width) }
        let h = (height + stride - 1) / stride, w = (width + stride - 1) / stride
        var out = [Float](repeating: 0, count: h * w * channels)
        values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<h {
                    for x in 0..<w {
                        let s = ((y * stride) * width + x * stride) * channels, d = (y * w + x) * channels
                        for c in 0..<channels { dst[d + c] = src[s + c] }
                    }
                }
            }
        }
        return (out, h, w)
    }
}
