import RawSupport
import RawCore

/// The floating-point precision in which a mapping is applied to an image.
public enum ApplyPrecision: String, Sendable, Codable, CaseIterable {
    /// Terms and products in Float (BLAS `sgemm`): fast; errors around 1e-7 for coefficients of order 1.
    case float32
    /// Terms and products in Double (BLAS `dgemm`): for mappings with large, cancelling coefficients.
    case float64
}

extension ColorMapping {
    /// Pixels per chunk when applying: bounds the scratch memory (`slots x 1024` values per core) and
    /// keeps each BLAS call small enough (`m n k <= 262144`) that OpenBLAS runs it on the calling
    /// thread, so the chunks' parallelism is the only one.
    static let applyChunkPixels = 1_024
    /// Pixels per chunk of the linear kinds, which multiply the pixels in place (`16384 x 4 x 4`).
    static let linearApplyChunkPixels = 16_384

    /// Maps a packed image and clips the result to [0, 1] (NaN becomes 0).
    ///
    /// The terms of each chunk of pixels are expanded into a matrix and multiplied by the
    /// coefficients with BLAS (`sgemm` or `dgemm`), chunks running in parallel on all cores. The
    /// linear kinds multiply the pixels directly (``Kind/linear3x3`` as the equivalent 4x4 on
    /// packed channels, writing the mapped G to both greens).
    /// - Parameters:
    ///   - image: a packed source image.
    ///   - precision: Float (default) or Double arithmetic.
    public func apply(to image: PackedImage, precision: ApplyPrecision = .float32) -> PackedImage {
        // Every output value is written by exactly one chunk, so the array needs no zero fill.
        let values = [Float](unsafeUninitializedCapacity: image.values.count) { buffer, initialized in
            applyChunks(image, into: buffer.baseAddress!, precision: precision)
            initialized = image.values.count
        }
        return PackedImage(height: image.height, width: image.width, values: values)
    }

    /// Maps a packed image into an existing image of the same size, reusing its storage.
    ///
    /// The same as ``apply(to:precision:)-(PackedImage,_)`` without allocating the result: for
    /// pipelines that map many images, where a fresh 12-megapixel output costs as much in page
    /// faults as the mapping itself. `output` may not be `image` itself (pass a copy).
    public func apply(to image: PackedImage, into output: inout PackedImage, precision: ApplyPrecision = .float32) {
        precondition(output.height == image.height && output.width == image.width,
                     "apply(to:into:) needs an output of the input's size \(image.height)x\(image.width), got \(output.height)x\(output.width)")
        output.values.withUnsafeMutableBufferPointer { buffer in
            applyChunks(image, into: buffer.baseAddress!, precision: precision)
        }
    }

    private func applyChunks(_ image: PackedImage, into output: UnsafeMutablePointer<Float>, precision: ApplyPrecision,
                             clips: Bool = true) {
        switch precision {
        case .float32: applyChunks(Float.self, image, into: output, clips: clips)
        case .float64: applyChunks(Double.self, image, into: output, clips: clips)
        }
    }

    /// The mapping applied to a packed image without clipping, with BLAS as
    /// ``apply(to:precision:)-(PackedImage,_)`` (a ``Kind/linear3x3`` writes its mapped green to both
    /// greens): what least squares predicts, beyond [0, 1] where it does.
    public func applyUnclipped(to image: PackedImage, precision: ApplyPrecision = .float32) -> PackedImage {
        let values = [Float](unsafeUninitializedCapacity: image.values.count) { buffer, initialized in
            applyChunks(image, into: buffer.baseAddress!, precision: precision, clips: false)
            initialized = image.values.count
        }
        return PackedImage(height: image.height, width: image.width, values: values)
    }

    /// Maps a packed image and clips the result to [0, 1]: the same as ``apply(to:precision:)-(PackedImage,_)`` in Float.
    public func callAsFunction(_ image: PackedImage) -> PackedImage { apply(to: image) }

    /// Maps a Bayer mosaic: packs it, maps the packed image, and mosaics the result again.
    ///
    /// The output has the input's pattern, black levels, white level and metadata unless others
    /// are given (e.g. those of a target-camera DNG). An odd last row or column of the input is
    /// dropped by packing, so the output is `2 * (height / 2) x 2 * (width / 2)`.
    public func apply(to image: BayerImage, pattern: CFAPattern? = nil, blackLevels: BlackLevels? = nil,
                      whiteLevel: Int? = nil, metadata: RawMetadata? = nil,
                      precision: ApplyPrecision = .float32) -> BayerImage {
        let mapped = apply(to: image.packed(), precision: precision)
        return mapped.mosaic(pattern: pattern ?? image.pattern, blackLevels: blackLevels ?? image.blackLevels,
                             whiteLevel: whiteLevel ?? image.whiteLevel, metadata: metadata ?? image.metadata)
    }

    /// The matrix multiplying the expanded terms, `rows x 4` row-major, and the constant offset.
    ///
    /// For the linear kinds the rows are the 4 packed inputs themselves; otherwise the
    /// non-constant terms in order.
    func applyMatrix() -> (rows: Int, weights: [Double], bias: [Double], linear: Bool) {
        let q = kind.outputCount
        let program = TermProgram(kind: kind)
        var bias = [Double](repeating: 0, count: 4)
        if let c = program.constantTerm { for j in 0..<4 { bias[j] = coefficients[c * q + j] } }
        switch kind {
        case .linear3x3:
            // Inputs (r, (gr + gb) / 2, b) and outputs (R, G, G, B) as a 4x4 on packed pixels.
            var w = [Double](repeating: 0, count: 16)
            let outCols = [0, 1, 1, 2]
            let inRows: [(row: Int, term: Int, scale: Double)] = [(0, 0, 1), (1, 1, 0.5), (2, 1, 0.5), (3, 2, 1)]
            for (row, term, scale) in inRows {
                for j in 0..<4 { w[row * 4 + j] = scale * coefficients[term * 3 + outCols[j]] }
            }
            return (4, w, bias, true)
        case .linear4x4, .affine:
            return (4, Array(coefficients[0..<16]), bias, true)
        default:
            var w: [Double] = []
            for (t, slot) in program.termSlots.enumerated() where slot != nil {
                w += coefficients[(t * q)..<(t * q + 4)]
            }
            return (program.nonConstantCount, w, bias, false)
        }
    }

    /// Maps `image` chunk by chunk into `output` (`pixelCount x 4` values, all written).
    private func applyChunks<T: ApplyScalar>(_: T.Type, _ image: PackedImage, into output: UnsafeMutablePointer<Float>, clips: Bool) {
        let program = TermProgram(kind: kind)
        let (rows, weights64, bias64, linear) = applyMatrix()
        let weights = weights64.map { T($0) }
        let bias = bias64.map { T($0) }
        let pixels = image.pixelCount
        // In Float the products go straight into the output image (and, for the linear kinds, the
        // input pixels are the BLAS matrix itself); in Double through a scratch chunk.
        let inPlace = T.self == Float.self
        let chunk = linear && inPlace ? Self.linearApplyChunkPixels : Self.applyChunkPixels
        let chunkCount = (pixels + chunk - 1) / chunk
        let workers = min(Parallel.threadCount, chunkCount)
        let slotCount = linear ? (inPlace ? 0 : 4) : program.slotCount
        image.values.withUnsafeBufferPointer { inBuffer in
            weights.withUnsafeBufferPointer { wBuffer in
                let input = inBuffer.baseAddress!, w = wBuffer.baseAddress!
                Parallel.forEach(workers) { worker in
                    var scratch = [T](repeating: 0, count: max(1, slotCount * chunk))
                    var result = [T](repeating: 0, count: inPlace ? 1 : chunk * 4)
                    scratch.withUnsafeMutableBufferPointer { sBuffer in
                        result.withUnsafeMutableBufferPointer { rBuffer in
                            let s = sBuffer.baseAddress!
                            for c in (worker * chunkCount / workers)..<((worker + 1) * chunkCount / workers) {
                                let start = c * chunk, m = min(chunk, pixels - start)
                                let src = input + start * 4, dst = output + start * 4
                                let r = inPlace ? UnsafeMutableRawPointer(dst).assumingMemoryBound(to: T.self) : rBuffer.baseAddress!
                                for i in 0..<m {
                                    r[4 * i] = bias[0]; r[4 * i + 1] = bias[1]; r[4 * i + 2] = bias[2]; r[4 * i + 3] = bias[3]
                                }
                                if linear && inPlace {
                                    let a = UnsafeRawPointer(src).assumingMemoryBound(to: T.self)
                                    T.gemm(m: m, n: 4, k: 4, a: a, lda: 4, b: w, ldb: 4, beta: 1, c: r, ldc: 4)
                                } else {
                                    for i in 0..<m {
                                        s[i] = T(src[4 * i]); s[chunk + i] = T(src[4 * i + 1])
                                        s[2 * chunk + i] = T(src[4 * i + 2]); s[3 * chunk + i] = T(src[4 * i + 3])
                                    }
                                    if !linear { program.runPlanar(s, stride: chunk, count: m) }
                                    let terms = linear ? UnsafePointer(s) : UnsafePointer(s + 4 * chunk)
                                    T.gemmTransposedA(m: m, n: 4, k: rows, a: terms, lda: chunk, b: w, ldb: 4, beta: 1, c: r, ldc: 4)
                                }
                                if clips {
                                    for i in 0..<(4 * m) {
                                        let v = r[i]
                                        dst[i] = Float(v > 0 ? (v < 1 ? v : 1) : 0)
                                    }
                                } else if !inPlace {
                                    for i in 0..<(4 * m) { dst[i] = Float(r[i]) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A scalar type mappings can be applied in: the term expansion plus the matching BLAS routine.
protocol ApplyScalar: PlanarScalar {
    /// `C = A B + beta C`, row-major (`sgemm` / `dgemm`).
    static func gemm(m: Int, n: Int, k: Int, a: UnsafePointer<Self>, lda: Int,
                     b: UnsafePointer<Self>, ldb: Int, beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    /// `C = Aᵀ B + beta C`, row-major (`sgemm` / `dgemm`).
    static func gemmTransposedA(m: Int, n: Int, k: Int, a: UnsafePointer<Self>, lda: Int,
                                b: UnsafePointer<Self>, ldb: Int, beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
}

extension Float: ApplyScalar {
    static func gemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                     b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        BLAS.sgemm(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
    static func gemmTransposedA(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                                b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        BLAS.sgemmTransposedA(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
}

extension Double: ApplyScalar {
    static func gemm(m: Int, n: Int, k: Int, a: UnsafePointer<Double>, lda: Int,
                     b: UnsafePointer<Double>, ldb: Int, beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        BLAS.dgemm(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
    static func gemmTransposedA(m: Int, n: Int, k: Int, a: UnsafePointer<Double>, lda: Int,
                                b: UnsafePointer<Double>, ldb: Int, beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        BLAS.dgemmTransposedA(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
}
