import Foundation
import RawSupport
/// Winograd's minimal filtering F(2x2, 3x3) for 3x3 convolutions with stride 1 and padding 1 (the
/// "same" convolutions of U-Nets): 2.25x fewer multiply-adds than a direct or GEMM convolution.
///
/// The output is cut into 2x2 tiles; tile `(ty, tx)` reads the 4x4 input patch `d` at rows
/// `2ty - 1 ..< 2ty + 3` and columns `2tx - 1 ..< 2tx + 3` (zero outside the image) and is
/// `Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A` per input channel, summed over channels. Summing over channels
/// is 16 independent matrix products, one per transform position `ξ` of the 4x4 domain:
/// `M[ξ] (O x P) = U[ξ] (O x C) · V[ξ] (C x P)` with `U = G g Gᵀ` (the transformed weight,
/// ``packWeight(_:_:into:)``), `V = Bᵀ d B` (the transformed input of a chunk of `P` tiles).
///
/// The backward pass uses the adjoints of the same maps, so it is the exact gradient of this
/// forward pass: with `Ŷ = A dY Aᵀ` (the transformed output gradient) the weight gradient is
/// `dU[ξ] += Ŷ[ξ] · V[ξ]ᵀ` (folded back by `dw = Gᵀ dU G`, ``unpackWeightGradient(_:_:into:)``),
/// and the input gradient `dV[ξ] = U[ξ]ᵀ · Ŷ[ξ]`, scattered back by `dx += B dV Bᵀ` over the
/// overlapping 4x4 patches. All products are `sgemm` calls; the transforms are vectorised over four
/// neighbouring tiles. Results differ from the direct convolution by Float rounding only (the
/// transform matrices hold 0, ±1 and ±1/2).
enum WinogradConvolution {
    /// Whether the geometry is a 3x3, stride-1, padding-1 convolution with enough channels for the
    /// 16 matrix products (inner dimension `C` or `O`) to be efficient.
    static func applies(_ g: ConvolutionGeometry) -> Bool {
        g.kernelHeight == 3 && g.kernelWidth == 3 && g.strideY == 1 && g.strideX == 1
            && g.paddingY == 1 && g.paddingX == 1 && g.inputChannels >= 16 && g.outputChannels >= 16
    }

    /// Tiles per row and per column of the output (odd sizes get a partial last tile).
    static func tiles(_ g: ConvolutionGeometry) -> (rows: Int, columns: Int) {
        ((g.outputHeight + 1) / 2, (g.outputWidth + 1) / 2)
    }

    /// Output rows per chunk (even: whole tile rows). A chunk of `P` tiles needs `16 (C + O) P` floats
    /// of scratch; `P` of 256 tiles (512 from 256 channels in and out) keeps them near the 1-2 MB of
    /// a core's L2 cache, which measured faster than larger chunks with more columns per product.
    /// Scaled by `chunkPixels / 4096` (tests use small chunks).
    static func rowsPerChunk(_ g: ConvolutionGeometry) -> Int {
        let target = min(512, max(256, 2 * (g.inputChannels + g.outputChannels))) * Convolution.chunkPixels / 4096
        let tileRows = max(1, target / max(tiles(g).columns, 1))
        return min(2 * tileRows, 2 * tiles(g).rows)
    }

    /// The row stride of one `[channels, P]` matrix in the scratch buffers: the chunk's tiles plus
    /// room for the last group of four to be stored whole.
    static func leadingDimension(_ g: ConvolutionGeometry, rowsPerChunk: Int) -> Int {
        (rowsPerChunk / 2) * tiles(g).columns + 4
    }

    /// Scratch floats per worker: the transformed input and the transformed output (or gradient).
    static func scratchCount(_ g: ConvolutionGeometry, rowsPerChunk: Int) -> Int {
        16 * (g.inputChannels + g.outputChannels) * leadingDimension(g, rowsPerChunk: rowsPerChunk)
    }

    // MARK: - Weights

    /// `U[ξ][o][c] = (G g Gᵀ)[ξ]` for every `[O, C, 3, 3]` kernel `g`.
    static func packWeight(_ g: ConvolutionGeometry, _ w: UnsafePointer<Float>, into u: UnsafeMutablePointer<Float>) {
        let oc = g.outputChannels * g.inputChannels
        // G applied to (a, b, c): (a, (a + b + c) / 2, (a - b + c) / 2, c).
        func gTimes(_ a: Float, _ b: Float, _ c: Float) -> SIMD4<Float> { SIMD4(a, 0.5 * (a + b + c), 0.5 * (a - b + c), c) }
        for k in 0..<oc {
            let s = w + 9 * k
            // Columns of G g (4x3).
            let c0 = gTimes(s[0], s[3], s[6]), c1 = gTimes(s[1], s[4], s[7]), c2 = gTimes(s[2], s[5], s[8])
            for i in 0..<4 {
                let row = gTimes(c0[i], c1[i], c2[i])
                for j in 0..<4 { u[(4 * i + j) * oc + k] = row[j] }
            }
        }
    }

    /// Adds `Gᵀ dU G` (3x3 per kernel) to the `[O, C, 3, 3]` gradient `dw`.
    static func unpackWeightGradient(_ g: ConvolutionGeometry, _ du: UnsafePointer<Float>, into dw: UnsafeMutablePointer<Float>) {
        let oc = g.outputChannels * g.inputChannels
        // Gᵀ applied to (a, b, c, d): (a + (b + c) / 2, (b - c) / 2, (b + c) / 2 + d).
        func gTransposeTimes(_ a: Float, _ b: Float, _ c: Float, _ d: Float) -> SIMD4<Float> {
            SIMD4(a + 0.5 * (b + c), 0.5 * (b - c), 0.5 * (b + c) + d, 0)
        }
        for k in 0..<oc {
            // Columns of Gᵀ dU (3x4).
            var q = (SIMD4<Float>(), SIMD4<Float>(), SIMD4<Float>(), SIMD4<Float>())
            q.0 = gTransposeTimes(du[k], du[4 * oc + k], du[8 * oc + k], du[12 * oc + k])
            q.1 = gTransposeTimes(du[oc + k], du[5 * oc + k], du[9 * oc + k], du[13 * oc + k])
            q.2 = gTransposeTimes(du[2 * oc + k], du[6 * oc + k], du[10 * oc + k], du[14 * oc + k])
            q.3 = gTransposeTimes(du[3 * oc + k], du[7 * oc + k], du[11 * oc + k], du[15 * oc + k])
            let d = dw + 9 * k
            for i in 0..<3 {
                let row = gTransposeTimes(q.0[i], q.1[i], q.2[i], q.3[i])
                d[3 * i] += row[0]
                d[3 * i + 1] += row[1]
                d[3 * i + 2] += row[2]
            }
        }
    }

    // MARK: - Transforms

    @inline(__always)
    private static func load4(_ p: UnsafePointer<Float>) -> SIMD4<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
    }

    @inline(__always)
    private static func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// Columns `start ..< start + 8` of a row of `width` values, zero outside it.
    @inline(__always)
    private static func load8(_ row: UnsafePointer<Float>, from start: Int, width: Int) -> SIMD8<Float> {
        if start >= 0 && start + 8 <= width { return load8(row + start) }
        var v = SIMD8<Float>()
        for k in 0..<8 where start + k >= 0 && start + k < width { v[k] = row[start + k] }
        return v
    }

    @inline(__always)
    private static func store(_ v: SIMD4<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD4<Float>.self)
    }

    @inline(__always)
    private static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }

    @inline(__always)
    private static func interleave(_ a: SIMD4<Float>, _ b: SIMD4<Float>) -> SIMD8<Float> {
        SIMD8(a[0], b[0], a[1], b[1], a[2], b[2], a[3], b[3])
    }

    /// `V = Bᵀ d B` for the tiles of tile rows `ty0..<ty0+tileRows` of one `[channels, height, width]`
    /// image, written to `v[ξ][c][p]` (row stride `ld`, `p` = tile index within the chunk).
    ///
    /// The horizontal transform `d B` of each input row is computed once and kept in a ring of four
    /// rows: neighbouring tile rows share two input rows.
    static func transformInput(_ x: UnsafePointer<Float>, channels: Int, height: Int, width: Int, ty0: Int, tileRows: Int,
                               into v: UnsafeMutablePointer<Float>, ld: Int, parallel: Bool) {
        let tx = (width + 1) / 2
        let groups = (tx + 3) / 4
        let hRow = 4 * groups         // one component j of one input row's horizontal transform
        Parallel.forEachChunk(count: channels, grain: max(1, 4096 / max(tileRows * tx * 16, 1)), parallel: parallel) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 16 * hRow) { buffer in
                let h = buffer.baseAddress!
                for c in range {
                    let plane = x + c * height * width
                    // h[slot][j][t] = (d B)[j] of input row iy for tile t, in slot (iy + 1) mod 4.
                    func horizontal(_ iy: Int) {
                        let slot = h + ((iy + 1) & 3) * 4 * hRow
                        if iy < 0 || iy >= height {
                            slot.update(repeating: 0, count: 4 * hRow)
                            return
                        }
                        let row = plane + iy * width
                        for gi in 0..<groups {
                            // Tile t reads input columns 2t - 1 ..< 2t + 3.
                            let a = load8(row, from: 8 * gi - 1, width: width), b = load8(row, from: 8 * gi + 1, width: width)
                            let d0 = a.evenHalf, d1 = a.oddHalf, d2 = b.evenHalf, d3 = b.oddHalf
                            store(d0 - d2, slot + 4 * gi)
                            store(d1 + d2, slot + hRow + 4 * gi)
                            store(d2 - d1, slot + 2 * hRow + 4 * gi)
                            store(d1 - d3, slot + 3 * hRow + 4 * gi)
                        }
                    }
                    for tr in 0..<tileRows {
                        let ty = ty0 + tr
                        if tr == 0 {
                            for r in 0..<4 { horizontal(2 * ty - 1 + r) }
                        } else {
                            horizontal(2 * ty + 1)
                            horizontal(2 * ty + 2)
                        }
                        // Vertical transform Bᵀ (.) of the four input rows 2ty - 1 + r (slots (2ty + r) mod 4).
                        let p0 = tr * tx
                        for j in 0..<4 {
                            let h0 = h + ((2 * ty) & 3) * 4 * hRow + j * hRow, h1 = h + ((2 * ty + 1) & 3) * 4 * hRow + j * hRow
                            let h2 = h + ((2 * ty + 2) & 3) * 4 * hRow + j * hRow, h3 = h + ((2 * ty + 3) & 3) * 4 * hRow + j * hRow
                            let v0 = v + ((0 * 4 + j) * channels + c) * ld + p0
                            let v1 = v + ((1 * 4 + j) * channels + c) * ld + p0
                            let v2 = v + ((2 * 4 + j) * channels + c) * ld + p0
                            let v3 = v + ((3 * 4 + j) * channels + c) * ld + p0
                            for gi in 0..<groups {
                                let o = 4 * gi
                                let a0 = load4(h0 + o), a1 = load4(h1 + o), a2 = load4(h2 + o), a3 = load4(h3 + o)
                                store(a0 - a2, v0 + o)
                                store(a1 + a2, v1 + o)
                                store(a2 - a1, v2 + o)
                                store(a1 - a3, v3 + o)
                            }
                        }
                    }
                }
            }
        }
    }

    /// `Ŷ = A dY Aᵀ` for the tiles of tile rows `ty0..<ty0+tileRows` of one `[channels, height, width]`
    /// output gradient (zero beyond the image), written to `t[ξ][o][p]` (row stride `ld`).
    static func transformGradient(_ dy: UnsafePointer<Float>, channels: Int, height: Int, width: Int, ty0: Int, tileRows: Int,
                                  into t: UnsafeMutablePointer<Float>, ld: Int, parallel: Bool) {
        let tx = (width + 1) / 2
        let groups = (tx + 3) / 4
        Parallel.forEachChunk(count: channels, grain: max(1, 4096 / max(tileRows * tx * 16, 1)), parallel: parallel) { range in
            do {
                for o in range {
                    let plane = dy + o * height * width
                    for tr in 0..<tileRows {
                        let ty = ty0 + tr
                        let row0 = plane + 2 * ty * width, row1 = row0 + width
                        let hasSecond = 2 * ty + 1 < height
                        let p0 = tr * tx
                        for gi in 0..<groups {
                            let a = load8(row0, from: 8 * gi, width: width)
                            let b = hasSecond ? load8(row1, from: 8 * gi, width: width) : SIMD8<Float>()
                            // Columns of the 2x2 tiles: row 0 is (p, q), row 1 is (s, u).
                            let p = a.evenHalf, q = a.oddHalf, s = b.evenHalf, u = b.oddHalf
                            // A on the left: rows r0 = row0, r1 = row0 + row1, r2 = row0 - row1, r3 = -row1.
                            let stride = channels * ld
                            // Aᵀ on the right: (e, f) -> (e, e + f, e - f, -f), for row i of A dY.
                            func put(_ i: Int, _ e: SIMD4<Float>, _ f: SIMD4<Float>) {
                                let base = t + ((4 * i) * channels + o) * ld + p0 + 4 * gi
                                store(e, base)
                                store(e + f, base + stride)
                                store(e - f, base + 2 * stride)
                                store(-f, base + 3 * stride)
                            }
                            put(0, p, q)
                            put(1, p + s, q + u)
                            put(2, p - s, q - u)
                            put(3, -s, -u)
                        }
                    }
                }
            }
        }
    }

    /// `Y = Aᵀ M A` (plus the bias, then the activation) for the tiles of tile rows
    /// `ty0..<ty0+tileRows`, written into output rows of the `[channels, height, width]` image `out`.
    static func transformOutput(_ m: UnsafePointer<Float>, ld: Int, channels: Int, height: Int, width: Int, ty0: Int, tileRows: Int,
                                bias: UnsafePointer<Float>?, activation: Activation,
                                into out: UnsafeMutablePointer<Float>, parallel: Bool) {
        let tx = (width + 1) / 2
        let groups = (tx + 3) / 4
        let fullGroups = width / 8
        Parallel.forEachChunk(count: channels, grain: max(1, 4096 / max(tileRows * tx * 16, 1)), parallel: parallel) { range in
            for o in range {
                let b = SIMD4<Float>(repeating: bias?[o] ?? 0)
                let plane = out + o * height * width
                let stride = channels * ld
                for tr in 0..<tileRows {
                    let ty = ty0 + tr
                    let y0 = plane + 2 * ty * width
                    let hasSecond = 2 * ty + 1 < height
                    for gi in 0..<groups {
                        let base = m + o * ld + tr * tx + 4 * gi
                        // Aᵀ on the left, column j of M: (m0 + m1 + m2, m1 - m2 - m3).
                        func column(_ j: Int) -> (SIMD4<Float>, SIMD4<Float>) {
                            let m0 = load4(base + j * stride), m1 = load4(base + (4 + j) * stride)
                            let m2 = load4(base + (8 + j) * stride), m3 = load4(base + (12 + j) * stride)
                            return (m0 + m1 + m2, m1 - m2 - m3)
                        }
                        let (a0, c0) = column(0), (a1, c1) = column(1), (a2, c2) = column(2), (a3, c3) = column(3)
                        let y00 = a0 + a1 + a2 + b, y01 = a1 - a2 - a3 + b
                        let y10 = c0 + c1 + c2 + b, y11 = c1 - c2 - c3 + b
                        let r0 = activation.applied(interleave(y00, y01)), r1 = activation.applied(interleave(y10, y11))
                        if gi < fullGroups {
                            store(r0, y0 + 8 * gi)
                            if hasSecond { store(r1, y0 + width + 8 * gi) }
                        } else {
                            for k in 0..<min(8, width - 8 * gi) {
                                y0[8 * gi + k] = r0[k]
                                if hasSecond { y0[width + 8 * gi + k] = r1[k] }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Adds `B dV Bᵀ` of the tiles of tile rows `ty0..<ty0+tileRows` into the overlapping 4x4 input
    /// patches of the `[channels, height, width]` image gradient `dx`.
    ///
    /// Within a patch row, tile `t` covers patch columns `2t ..< 2t + 4` (input column + 1): the sums
    /// at even and odd patch columns of four tiles are formed in registers, carrying the
    /// overlapping half to the next group, and stored once; rows then add into `dx`.
    static func scatterInputGradient(_ dv: UnsafePointer<Float>, ld: Int, channels: Int, height: Int, width: Int, ty0: Int,
                                     tileRows: Int, into dx: UnsafeMutablePointer<Float>, parallel: Bool) {
        let tx = (width + 1) / 2
        let groups = (tx + 3) / 4
        let count = 8 * groups + 16
        let fullBlocks = width / 8
        Parallel.forEachChunk(count: channels, grain: max(1, 4096 / max(tileRows * tx * 16, 1)), parallel: parallel) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 4 * count) { buffer in
                let acc = buffer.baseAddress!
                acc.initialize(repeating: 0, count: 4 * count)
                let stride = channels * ld
                for c in range {
                    let plane = dx + c * height * width
                    for tr in 0..<tileRows {
                        let ty = ty0 + tr
                        // Carried halves (patch columns 2t + 2, 2t + 3 of the previous group's last tile), per row.
                        var carryEven = SIMD4<Float>(), carryOdd = SIMD4<Float>()
                        for gi in 0..<groups {
                            let base = dv + c * ld + tr * tx + 4 * gi
                            // Lanes past the last tile (in the last group) hold other tiles' values: zero them.
                            let live = SIMD4<Int32>(0, 1, 2, 3) .< SIMD4<Int32>(repeating: Int32(tx - 4 * gi))
                            let last = 4 * gi + 4 > tx
                            func load(_ xi: Int) -> SIMD4<Float> {
                                let value = load4(base + xi * stride)
                                return last ? SIMD4<Float>(repeating: 0).replacing(with: value, where: live) : value
                            }
                            // Column j of z = B dV: (d0, d1 - d2 + d3, d1 + d2 - d0, -d3).
                            func column(_ j: Int) -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
                                let d0 = load(j), d1 = load(4 + j), d2 = load(8 + j), d3 = load(12 + j)
                                return (d0, d1 - d2 + d3, d1 + d2 - d0, -d3)
                            }
                            let z0 = column(0), z1 = column(1), z2 = column(2), z3 = column(3)
                            // Row r of z Bᵀ: s = (a, b - c + d, b + c - a, -d) at patch columns 2t + s. Even
                            // column 2t sums s0 of tile t and s2 of tile t - 1; odd column 2t + 1, s1 and s3.
                            func emit(_ r: Int, _ a: SIMD4<Float>, _ b: SIMD4<Float>, _ c: SIMD4<Float>, _ d: SIMD4<Float>) {
                                let s2 = b + c - a, s3 = -d
                                let previousEven = carryEven[r], previousOdd = carryOdd[r]
                                let even = a + SIMD4(previousEven, s2[0], s2[1], s2[2])
                                let odd = (b - c + d) + SIMD4(previousOdd, s3[0], s3[1], s3[2])
                                carryEven[r] = s2[3]
                                carryOdd[r] = s3[3]
                                store(interleave(even, odd), acc + r * count + 8 * gi)
                            }
                            emit(0, z0.0, z1.0, z2.0, z3.0)
                            emit(1, z0.1, z1.1, z2.1, z3.1)
                            emit(2, z0.2, z1.2, z2.2, z3.2)
                            emit(3, z0.3, z1.3, z2.3, z3.3)
                        }
                        // Input column x is patch column x + 1.
                        for r in 0..<4 {
                            let iy = 2 * ty - 1 + r
                            if iy < 0 || iy >= height { continue }
                            let sums = acc + r * count
                            sums[8 * groups] = carryEven[r]
                            sums[8 * groups + 1] = carryOdd[r]
                            let row = plane + iy * width
                            for b in 0..<fullBlocks {
                                store(load8(row + 8 * b) + load8(sums + 8 * b + 1), row + 8 * b)
                            }
                            for x in (8 * fullBlocks)..<width { row[x] += sums[x + 1] }
                        }
                    }
                }
            }
        }
    }
}

extension Activation {
    /// The activation of eight values (used inside output passes, no parallelism).
    @inline(__always)
    func applied(_ v: SIMD8<Float>) -> SIMD8<Float> {
        switch self {
        case .identity: return v
        case .relu: return v.replacing(with: 0, where: v .< 0)
        case .leakyReLU(let slope): return v.replacing(with: v * slope, where: v .< 0)
        case .sigmoid, .tanh:
            var r = v
            for i in 0..<8 { r[i] = applied(v[i]) }
            return r
        }
    }

    /// Adds `b` to `count` values and applies the activation, in place, on the calling thread.
    func apply(_ p: UnsafeMutablePointer<Float>, count: Int, adding b: Float) {
        switch self {
        case .identity: for i in 0..<count { p[i] += b }
        case .relu: for i in 0..<count { p[i] = Swift.max(p[i] + b, 0) }
        case .leakyReLU(let slope): for i in 0..<count { let v = p[i] + b; p[i] = v < 0 ? v * slope : v }
        case .sigmoid, .tanh: for i in 0..<count { p[i] = applied(p[i] + b) }
        }
    }

    /// The activation of one value.
    @inline(__always)
    func applied(_ v: Float) -> Float {
        switch self {
        case .identity: return v
        case .relu: return Swift.max(v, 0)
        case .leakyReLU(let slope): return v < 0 ? v * slope : v
        case .sigmoid: return 1 / (1 + Foundation.exp(-v))
        case .tanh: return Foundation.tanh(v)
        }
    }
}
