import RawSupport
/// How a convolution is computed, chosen from its geometry.
enum ConvolutionMethod {
    /// 1x1, stride 1, no padding: a matrix product per row chunk.
    case pointwise
    /// Stride 1, width-preserving padding: ``RowShiftConvolution``.
    case rowShift
    /// Anything else: im2col on row chunks.
    case im2col
    /// 3x3, stride 1, padding 1, with enough channels: ``WinogradConvolution`` on chunks of tile rows.
    case winograd
}

/// The work decomposition of one convolution: the method, output rows per chunk, and buffer sizes.
///
/// Forward work is split into independent (image, row-chunk) units (their outputs are disjoint).
/// Backward work is split into image groups ("slots"), each with its own weight-gradient buffer; the
/// slot buffers are added in slot order at the end. Units and slots do not depend on the thread
/// count, and a unit's matrix products are single-threaded `sgemm` calls unless the whole convolution
/// is a single unit, when they use fixed column blocks (``Parallel/sgemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``):
/// so results are the same for any thread count.
struct ConvolutionPlan {
    let g: ConvolutionGeometry
    let method: ConvolutionMethod
    let rowsPerChunk: Int
    var chunksPerImage: Int { (g.outputHeight + rowsPerChunk - 1) / rowsPerChunk }
    /// Weight values per packed copy (row-shift repacks `[O, C, kH, kW]` as `kH` matrices `[O, C * kW]`,
    /// Winograd transforms it into 16 matrices `[O, C]`).
    var weightCount: Int { method == .winograd ? 16 * g.outputChannels * g.inputChannels : g.outputChannels * g.patchSize }
    /// Scratch floats per worker: the unrolled buffer.
    var scratchCount: Int {
        switch method {
        case .pointwise: return 0
        case .rowShift: return g.inputChannels * g.kernelWidth * (rowsPerChunk + g.kernelHeight - 1) * g.width
        case .im2col: return g.patchSize * rowsPerChunk * g.outputWidth
        case .winograd: return WinogradConvolution.scratchCount(g, rowsPerChunk: rowsPerChunk)
        }
    }
    /// Scratch floats per worker of the backward pass: a second buffer for row-shift's input gradient.
    var scratch2Count: Int { method == .rowShift ? scratchCount : 1 }

    init(_ g: ConvolutionGeometry) {
        self.g = g
        if Convolution.usesWinograd && WinogradConvolution.applies(g) {
            method = .winograd
            rowsPerChunk = WinogradConvolution.rowsPerChunk(g)
        } else if Convolution.usesRowShift && RowShiftConvolution.applies(g) {
            method = .rowShift
            rowsPerChunk = RowShiftConvolution.rowsPerChunk(g)
        } else if g.isPointwise {
            method = .pointwise
            rowsPerChunk = max(1, min(g.outputHeight, 4 * Convolution.chunkPixels / max(g.outputWidth, 1)))
        } else {
            method = .im2col
            rowsPerChunk = g.rowsPerChunk
        }
    }

    /// `sgemm`, single-threaded inside a parallel unit or block-parallel when the convolution is one unit.
    @inline(__always)
    func gemm(_ inner: Bool, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
              a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
              beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if inner {
            Parallel.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 1,
                           a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        } else {
            BLAS.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 1,
                       a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        }
    }

    /// Packs `[O, C, kH, kW]` weights for this plan's method into `packed` (``weightCount`` values).
    func packWeight(_ w: UnsafePointer<Float>, into packed: UnsafeMutablePointer<Float>) {
        switch method {
        case .rowShift: RowShiftConvolution.packWeight(g, w, into: packed)
        case .winograd: WinogradConvolution.packWeight(g, w, into: packed)
        case .pointwise, .im2col: packed.initialize(from: w, count: weightCount)
        }
    }

    /// Adds a packed weight gradient to the `[O, C, kH, kW]` gradient `dw`.
    func unpackWeightGradient(_ packed: UnsafePointer<Float>, into dw: UnsafeMutablePointer<Float>) {
        switch method {
        case .rowShift: RowShiftConvolution.unpackWeightGradient(g, packed, into: dw)
        case .winograd: WinogradConvolution.unpackWeightGradient(g, packed, into: dw)
        case .pointwise, .im2col: for i in 0..<weightCount { dw[i] += packed[i] }
        }
    }

    /// The forward pass of output rows `y0..<y0+rows` of image `n`, with the bias added and the
    /// activation applied while the chunk's output is in cache.
    func forwardChunk(n: Int, y0: Int, rows: Int, input x: UnsafePointer<Float>, weight w: UnsafePointer<Float>,
                      bias: UnsafePointer<Float>?, activation: Activation,
                      output out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, inner: Bool) {
        let image = x + n * g.inputChannels * g.inputPlane
        let result = out + n * g.outputChannels * g.outputPlane + y0 * g.outputWidth
        let columns = rows * g.outputWidth
        if method == .winograd {
            let ld = WinogradConvolution.leadingDimension(g, rowsPerChunk: rowsPerChunk)
            let ty0 = y0 / 2, tileRows = (rows + 1) / 2
            let tiles = tileRows * WinogradConvolution.tiles(g).columns
            let v = scratch, m = scratch + 16 * g.inputChannels * ld
            WinogradConvolution.transformInput(image, channels: g.inputChannels, height: g.height, width: g.width,
                                               ty0: ty0, tileRows: tileRows, into: v, ld: ld, parallel: inner)
            let oc = g.outputChannels * g.inputChannels
            for xi in 0..<16 {
                gemm(inner, transposeA: false, transposeB: false, m: g.outputChannels, n: tiles, k: g.inputChannels,
                     a: w + xi * oc, lda: g.inputChannels, b: v + xi * g.inputChannels * ld, ldb: ld,
                     beta: 0, c: m + xi * g.outputChannels * ld, ldc: ld)
            }
            WinogradConvolution.transformOutput(m, ld: ld, channels: g.outputChannels, height: g.outputHeight, width: g.outputWidth,
                                                ty0: ty0, tileRows: tileRows, bias: bias, activation: activation,
                                                into: out + n * g.outputChannels * g.outputPlane, parallel: inner)
            return
        }
        defer {
            if bias != nil || activation != .identity {
                Parallel.forEachChunk(count: g.outputChannels, grain: max(1, 16384 / max(columns, 1)), parallel: inner) { range in
                    for o in range { activation.apply(result + o * g.outputPlane, count: columns, adding: bias?[o] ?? 0) }
                }
            }
        }
        switch method {
        case .pointwise:
            gemm(inner, transposeA: false, transposeB: false, m: g.outputChannels, n: columns, k: g.inputChannels,
                 a: w, lda: g.inputChannels, b: image + y0 * g.width, ldb: g.inputPlane, beta: 0, c: result, ldc: g.outputPlane)
        case .rowShift:
            let ck = g.inputChannels * g.kernelWidth
            let span = (rows + g.kernelHeight - 1) * g.width
            RowShiftConvolution.unroll(g, image: image, y0: y0, rows: rows, into: scratch, parallel: inner)
            for ky in 0..<g.kernelHeight {
                gemm(inner, transposeA: false, transposeB: false, m: g.outputChannels, n: columns, k: ck,
                     a: w + ky * g.outputChannels * ck, lda: ck, b: scratch + ky * g.width, ldb: span,
                     beta: ky == 0 ? 0 : 1, c: result, ldc: g.outputPlane)
            }
        case .im2col:
            Convolution.im2col(g, image: image, y0: y0, rows: rows, col: scratch, parallel: inner)
            gemm(inner, transposeA: false, transposeB: false, m: g.outputChannels, n: columns, k: g.patchSize,
                 a: w, lda: g.patchSize, b: scratch, ldb: columns, beta: 0, c: result, ldc: g.outputPlane)
        case .winograd:
            preconditionFailure("handled above")
        }
    }

    /// The backward pass of output rows `y0..<y0+rows` of image `n`: adds into the (packed) weight
    /// gradient `dw` and, if given, into the input gradient `dx`.
    func backwardChunk(n: Int, y0: Int, rows: Int, gradOutput dy: UnsafePointer<Float>, input x: UnsafePointer<Float>,
                       weight w: UnsafePointer<Float>, gradWeight dw: UnsafeMutablePointer<Float>,
                       gradInput dx: UnsafeMutablePointer<Float>?, scratch: UnsafeMutablePointer<Float>,
                       scratch2: UnsafeMutablePointer<Float>, inner: Bool) {
        let image = x + n * g.inputChannels * g.inputPlane
        let gy = dy + n * g.outputChannels * g.outputPlane + y0 * g.outputWidth
        let gx = dx.map { $0 + n * g.inputChannels * g.inputPlane }
        let columns = rows * g.outputWidth
        switch method {
        case .winograd:
            let ld = WinogradConvolution.leadingDimension(g, rowsPerChunk: rowsPerChunk)
            let ty0 = y0 / 2, tileRows = (rows + 1) / 2
            let tiles = tileRows * WinogradConvolution.tiles(g).columns
            let v = scratch, t = scratch + 16 * g.inputChannels * ld
            let oc = g.outputChannels * g.inputChannels
            WinogradConvolution.transformInput(image, channels: g.inputChannels, height: g.height, width: g.width,
                                               ty0: ty0, tileRows: tileRows, into: v, ld: ld, parallel: inner)
            WinogradConvolution.transformGradient(dy + n * g.outputChannels * g.outputPlane, channels: g.outputChannels,
                                                  height: g.outputHeight, width: g.outputWidth, ty0: ty0, tileRows: tileRows,
                                                  into: t, ld: ld, parallel: inner)
            for xi in 0..<16 {
                gemm(inner, transposeA: false, transposeB: true, m: g.outputChannels, n: g.inputChannels, k: tiles,
                     a: t + xi * g.outputChannels * ld, lda: ld, b: v + xi * g.inputChannels * ld, ldb: ld,
                     beta: 1, c: dw + xi * oc, ldc: g.inputChannels)
            }
            if let gx {
                // dV overwrites V, which is no longer needed.
                for xi in 0..<16 {
                    gemm(inner, transposeA: true, transposeB: false, m: g.inputChannels, n: tiles, k: g.outputChannels,
                         a: w + xi * oc, lda: g.inputChannels, b: t + xi * g.outputChannels * ld, ldb: ld,
                         beta: 0, c: v + xi * g.inputChannels * ld, ldc: ld)
                }
                WinogradConvolution.scatterInputGradient(v, ld: ld, channels: g.inputChannels, height: g.height, width: g.width,
                                                         ty0: ty0, tileRows: tileRows, into: gx, parallel: inner)
            }
        case .pointwise:
            gemm(inner, transposeA: false, transposeB: true, m: g.outputChannels, n: g.inputChannels, k: columns,
                 a: gy, lda: g.outputPlane, b: image + y0 * g.width, ldb: g.inputPlane, beta: 1, c: dw, ldc: g.inputChannels)
            if let gx {
                gemm(inner, transposeA: true, transposeB: false, m: g.inputChannels, n: columns, k: g.outputChannels,
                     a: w, lda: g.inputChannels, b: gy, ldb: g.outputPlane, beta: 0, c: gx + y0 * g.width, ldc: g.inputPlane)
            }
        case .rowShift:
            let ck = g.inputChannels * g.kernelWidth
            let span = (rows + g.kernelHeight - 1) * g.width
            RowShiftConvolution.unroll(g, image: image, y0: y0, rows: rows, into: scratch, parallel: inner)
            for ky in 0..<g.kernelHeight {
                gemm(inner, transposeA: false, transposeB: true, m: g.outputChannels, n: ck, k: columns,
                     a: gy, lda: g.outputPlane, b: scratch + ky * g.width, ldb: span,
                     beta: 1, c: dw + ky * g.outputChannels * ck, ldc: ck)
            }
            if let gx {
                // Columns columns..<span of each row are reached only by ky > 0: clear them, let ky = 0
                // overwrite 0..<columns, and the other taps accumulate.
                for r in 0..<ck { (scratch2 + r * span + columns).update(repeating: 0, count: span - columns) }
                for ky in 0..<g.kernelHeight {
                    gemm(inner, transposeA: true, transposeB: false, m: ck, n: columns, k: g.outputChannels,
                         a: w + ky * g.outputChannels * ck, lda: ck, b: gy, ldb: g.outputPlane,
                         beta: ky == 0 ? 0 : 1, c: scratch2 + ky * g.width, ldc: span)
                }
                RowShiftConvolution.fold(g, scratch2, y0: y0, rows: rows, into: gx, parallel: inner)
            }
        case .im2col:
            Convolution.im2col(g, image: image, y0: y0, rows: rows, col: scratch, parallel: inner)
            gemm(inner, transposeA: false, transposeB: true, m: g.outputChannels, n: g.patchSize, k: columns,
                 a: gy, lda: g.outputPlane, b: scratch, ldb: columns, beta: 1, c: dw, ldc: g.patchSize)
            if let gx {
                gemm(inner, transposeA: true, transposeB: false, m: g.patchSize, n: columns, k: g.outputChannels,
                     a: w, lda: g.patchSize, b: gy, ldb: g.outputPlane, beta: 0, c: scratch, ldc: columns)
                Convolution.col2im(g, col: scratch, y0: y0, rows: rows, image: gx, parallel: inner)
            }
        }
    }
}

extension Convolution {
    /// Forward convolution into `out` (`[n, outC, outH, outW]`, overwritten), adding `bias` (`[outC]`)
    /// if given and applying `activation`, both fused into the output pass of each chunk.
    static func forward(_ g: ConvolutionGeometry, input x: UnsafePointer<Float>, weight w: UnsafePointer<Float>,
                        bias: UnsafePointer<Float>? = nil, activation: Activation = .identity,
                        output out: UnsafeMutablePointer<Float>) {
        BLAS.ensureSingleThreaded()
        let plan = ConvolutionPlan(g)
        let packed = BufferPool.shared.take(count: plan.weightCount)
        defer { BufferPool.shared.give(packed, count: plan.weightCount) }
        plan.packWeight(w, into: packed)
        let perImage = plan.chunksPerImage
        let units = g.batch * perImage
        let inner = units == 1
        Parallel.forEachChunk(count: units, grain: 1) { range in
            let count = max(plan.scratchCount, 1)
            let scratch = BufferPool.shared.take(count: count)
            defer { BufferPool.shared.give(scratch, count: count) }
            for u in range {
                let n = u / perImage, y0 = (u % perImage) * plan.rowsPerChunk
                plan.forwardChunk(n: n, y0: y0, rows: min(plan.rowsPerChunk, g.outputHeight - y0), input: x, weight: packed,
                                  bias: bias, activation: activation, output: out, scratch: scratch, inner: inner)
            }
        }
    }

    /// Backward convolution: adds the weight gradient into `dw` (`[outC, inC, kH, kW]`) and, when
    /// `dx` is given (zero-initialised by the caller), the input gradient into it.
    static func backward(_ g: ConvolutionGeometry, gradOutput dy: UnsafePointer<Float>, input x: UnsafePointer<Float>,
                         weight w: UnsafePointer<Float>, gradWeight dw: UnsafeMutablePointer<Float>,
                         gradInput dx: UnsafeMutablePointer<Float>?) {
        BLAS.ensureSingleThreaded()
        let plan = ConvolutionPlan(g)
        let wc = plan.weightCount
        let packed = BufferPool.shared.take(count: wc)
        defer { BufferPool.shared.give(packed, count: wc) }
        plan.packWeight(w, into: packed)
        // One weight-gradient slot per image while that stays under 32 MB, else fixed image groups.
        let slots = max(1, min(g.batch, (1 << 23) / max(wc, 1)))
        let slotGradients = BufferPool.shared.take(count: slots * wc)
        defer { BufferPool.shared.give(slotGradients, count: slots * wc) }
        slotGradients.initialize(repeating: 0, count: slots * wc)
        let inner = slots == 1
        let perImage = plan.chunksPerImage
        Parallel.forEachChunk(count: slots, grain: 1) { range in
            let count = max(plan.scratchCount, 1), count2 = max(plan.scratch2Count, 1)
            let scratch = BufferPool.shared.take(count: count), scratch2 = BufferPool.shared.take(count: count2)
            defer { BufferPool.shared.give(scratch, count: count); BufferPool.shared.give(scratch2, count: count2) }
            for s in range {
                for n in (s * g.batch / slots)..<((s + 1) * g.batch / slots) {
                    for c in 0..<perImage {
                        let y0 = c * plan.rowsPerChunk
                        plan.backwardChunk(n: n, y0: y0, rows: min(plan.rowsPerChunk, g.outputHeight - y0), gradOutput: dy, input: x,
                                           weight: packed, gradWeight: slotGradients + s * wc, gradInput: dx,
                                           scratch: scratch, scratch2: scratch2, inner: inner)
                    }
                }
            }
        }
        // Reduce the slots in order, then unpack.
        for s in 1..<max(slots, 1) {
            let src = slotGradients + s * wc
            Parallel.forEachChunk(count: wc, grain: 1 << 15) { r in for i in r { slotGradients[i] += src[i] } }
        }
        plan.unpackWeightGradient(slotGradients, into: dw)
    }
}
