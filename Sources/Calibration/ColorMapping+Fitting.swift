import RawSupport
import RawCore

extension ColorMapping {
    /// Fits a mapping on the pixels of aligned image pairs (the anchor set): `sources[i]` pixel
    /// by pixel onto `targets[i]`.
    ///
    /// Every pixel of every pair is a sample; the ``FitOptions/mask`` drops clipped and
    /// near-black ones, ``FitOptions/sampleBudget`` subsamples the rest uniformly (with
    /// ``FitOptions/seed``). The system is solved in Double by a streaming Householder QR
    /// (LAPACK `dgeqrt`) followed by an SVD solve of the small triangular system (`dgelsd`),
    /// never through the normal equations. Work is split over all cores; the result depends only
    /// on the inputs and options, not on the number of cores.
    /// - Parameters:
    ///   - kind: the mapping family.
    ///   - sources: source-camera packed images.
    ///   - targets: target-camera packed images, one per source, each the size of its source.
    ///   - weights: optional per-pixel weights (one array of `pixelCount` values per pair),
    ///     finite and non-negative; a zero weight drops the pixel.
    ///   - options: regularisation, masking and subsampling.
    /// - Throws: ``CalibrationError/shapeMismatch(pair:source:target:)``,
    ///   ``CalibrationError/nonFiniteInput(what:)``, ``CalibrationError/invalidWeight(what:value:)``,
    ///   ``CalibrationError/tooFewSamples(kind:available:required:)``,
    ///   ``CalibrationError/rankDeficient(kind:rank:terms:info:)``, ``CalibrationError/invalidOption(_:)``
    ///   or ``CalibrationError/lapack(routine:info:)``.
    public static func fit(_ kind: Kind, sources: [PackedImage], targets: [PackedImage], weights: [[Float]]? = nil,
                           options: FitOptions = FitOptions()) throws(CalibrationError) -> ColorMapping {
        precondition(sources.count == targets.count, "fit needs one target per source, got \(sources.count) sources and \(targets.count) targets")
        for (i, (s, t)) in zip(sources, targets).enumerated() where s.height != t.height || s.width != t.width {
            throw .shapeMismatch(pair: i, source: [s.height, s.width], target: [t.height, t.width])
        }
        if let weights {
            precondition(weights.count == sources.count, "fit needs one weight array per pair, got \(weights.count) for \(sources.count) pairs")
            for (i, (w, s)) in zip(weights, sources).enumerated() {
                precondition(w.count == s.pixelCount, "weights of pair \(i) need \(s.pixelCount) values (one per pixel), got \(w.count)")
            }
        }
        return try fit(kind, samples: ImagePairs(sources: sources, targets: targets, weights: weights), options: options)
    }

    /// Fits a mapping on one aligned image pair: the "single calibration" baseline.
    ///
    /// The same as ``fit(_:sources:targets:weights:options:)`` with one pair.
    public static func fit(_ kind: Kind, source: PackedImage, target: PackedImage, weights: [Float]? = nil,
                           options: FitOptions = FitOptions()) throws(CalibrationError) -> ColorMapping {
        try fit(kind, sources: [source], targets: [target], weights: weights.map { [$0] }, options: options)
    }

    /// Fits a mapping on colour-chart patch means (or any list of corresponding packed colours).
    ///
    /// Each element is a packed colour `(R, Gr, Gb, B)`; masking, weights and subsampling work as
    /// for images (a saturated patch is dropped by the default mask).
    /// - Parameters:
    ///   - kind: the mapping family.
    ///   - sourcePatches: patch means in the source camera.
    ///   - targetPatches: the same patches in the target camera, in the same order.
    ///   - weights: optional per-patch weights.
    ///   - options: regularisation, masking and subsampling.
    public static func fit(_ kind: Kind, sourcePatches: [SIMD4<Double>], targetPatches: [SIMD4<Double>],
                           weights: [Double]? = nil, options: FitOptions = FitOptions()) throws(CalibrationError) -> ColorMapping {
        precondition(sourcePatches.count == targetPatches.count,
                     "fit needs one target patch per source patch, got \(sourcePatches.count) and \(targetPatches.count)")
        if let weights {
            precondition(weights.count == sourcePatches.count, "fit needs one weight per patch, got \(weights.count) for \(sourcePatches.count)")
        }
        return try fit(kind, samples: PatchPairs(sources: sourcePatches, targets: targetPatches, weights: weights), options: options)
    }

    /// Pixels per block of the counting and gathering passes.
    static let sampleBlockSize = 16_384
    /// Rows buffered between QR factorizations for `columns` columns: about 9000 values per
    /// factorization, so that every BLAS call inside LAPACK stays below OpenBLAS's
    /// multithreading thresholds (e.g. `dgemv` threads above 9216 elements) and the only
    /// parallelism is ours: nested threading (our workers each starting OpenBLAS threads) made
    /// fitting several times slower in measurements.
    static func qrChunkRows(columns: Int) -> Int { max(64, 9_000 / columns - columns) }
    /// The fixed number of independent QR streams (fixed, so that results do not depend on the core count).
    static let qrSegments = 8

    private struct Block { var pair: Int; var start: Int; var end: Int }
    private struct SegmentResult { var triangle: [Double]; var count: Int; var weightSum: Double }

    /// The fitting pipeline shared by every public entry point.
    static func fit<S: PairedSamples>(_ kind: Kind, samples: S, options: FitOptions) throws(CalibrationError) -> ColorMapping {
        try options.validate()
        let program = TermProgram(kind: kind)
        let p = kind.termCount, q = kind.outputCount, n = p + q
        let mask = options.mask

        var blocks: [Block] = []
        var total = 0
        for pair in 0..<samples.pairCount {
            let c = samples.count(pair: pair)
            total += c
            for start in stride(from: 0, to: c, by: sampleBlockSize) {
                blocks.append(Block(pair: pair, start: start, end: min(c, start + sampleBlockSize)))
            }
        }

        // Pass 1: validate every sample and count the usable ones per block.
        let counted = ResultSlots<Result<Int, CalibrationError>>(count: blocks.count)
        counted.withSlots { set in
            Parallel.forEach(blocks.count) { b in
                let block = blocks[b]
                var usable = 0
                var failure: CalibrationError?
                samples.forEach(pair: block.pair, range: block.start..<block.end) { i, s, t, w in
                    if s - s != .zero {
                        failure = .nonFiniteInput(what: samples.describe(pair: block.pair, index: i, role: "source"))
                    } else if t - t != .zero {
                        failure = .nonFiniteInput(what: samples.describe(pair: block.pair, index: i, role: "target"))
                    } else if !(w.isFinite && w >= 0) {
                        failure = .invalidWeight(what: samples.describe(pair: block.pair, index: i, role: "sample"), value: w)
                    } else {
                        if w > 0 && mask.accepts(source: s, target: t) { usable += 1 }
                        return true
                    }
                    return false
                }
                set(b, failure.map { .failure($0) } ?? .success(usable))
            }
        }
        var firstRank = [Int](repeating: 0, count: blocks.count + 1)
        for (b, result) in counted.values.enumerated() {
            switch result {
            case .failure(let e): throw e
            case .success(let c): firstRank[b + 1] = firstRank[b] + c
            }
        }
        let usable = firstRank[blocks.count]
        let used = min(usable, options.sampleBudget ?? usable)
        guard used >= p else { throw .tooFewSamples(kind: kind, available: used, required: p) }
        let selection: BitSet? = used < usable ? BitSet.randomSubset(of: usable, count: used, seed: options.seed) : nil

        // Split the blocks into contiguous segments of about equal usable counts.
        let segmentCount = max(1, min(qrSegments, blocks.count, used / (16 * n)))
        var segmentStarts = [0]
        for s in 1..<segmentCount {
            let goal = usable * s / segmentCount
            var b = segmentStarts.last!
            while b < blocks.count && firstRank[b] < goal { b += 1 }
            segmentStarts.append(b)
        }
        segmentStarts.append(blocks.count)

        // Pass 2: gather the selected samples of each segment in planar chunks, expand their
        // terms, and stream the weighted rows through the segment's own QR.
        let chunkRows = qrChunkRows(columns: n)
        let segments = ResultSlots<Result<SegmentResult, CalibrationError>>(count: segmentCount)
        segments.withSlots { set in
            func body(_ seg: Int) {
                let firstBlock = segmentStarts[seg], endBlock = segmentStarts[seg + 1]
                let expected = firstRank[endBlock] - firstRank[firstBlock]
                let capacity = max(1, min(chunkRows, expected))
                do throws(CalibrationError) {
                    var qr = StreamingQR(columns: n, capacity: capacity)
                    var gather = SampleChunk(program: program, kind: kind, capacity: capacity)
                    var rank = firstRank[firstBlock]
                    var count = 0, weightSum = 0.0
                    var failure: CalibrationError?
                    for b in firstBlock..<endBlock where failure == nil {
                        let block = blocks[b]
                        samples.forEach(pair: block.pair, range: block.start..<block.end) { _, s, t, w in
                            guard w > 0 && mask.accepts(source: s, target: t) else { return true }
                            defer { rank += 1 }
                            if let selection, !selection.contains(rank) { return true }
                            gather.append(source: s, target: t, weight: w)
                            count += 1
                            weightSum += w
                            if gather.count == capacity {
                                do throws(CalibrationError) { try gather.flush(into: &qr) } catch {
                                    failure = error
                                    return false
                                }
                            }
                            return true
                        }
                    }
                    if let failure { throw failure }
                    try gather.flush(into: &qr)
                    set(seg, .success(SegmentResult(triangle: qr.triangle, count: count, weightSum: weightSum)))
                } catch {
                    set(seg, .failure(error))
                }
            }
            Parallel.forEach(segmentCount, body)
        }
        var parts: [SegmentResult] = []
        for r in segments.values {
            switch r {
            case .failure(let e): throw e
            case .success(let v): parts.append(v)
            }
        }
        precondition(parts.reduce(0) { $0 + $1.count } == used, "sample selection lost samples")
        let weightSum = parts.reduce(0) { $0 + $1.weightSum }
        var triangle = parts[0].triangle
        if parts.count > 1 {
            var merge = StreamingQR(columns: n, capacity: parts.count * n)
            for part in parts { try merge.append(triangle: part.triangle) }
            try merge.flush()
            triangle = merge.triangle
        }

        let penalized = kind.terms.indices.filter { !kind.terms[$0].isConstant }
        let solution = try LeastSquaresSolution.solve(
            triangle: triangle, terms: p, outputs: q, penalized: penalized,
            ridgeScale: (options.ridge * weightSum).squareRoot(), rankTolerance: options.rankTolerance)
        guard solution.rank == p else {
            throw .rankDeficient(kind: kind, rank: solution.rank, terms: p, info: solution.info)
        }
        let rmse = solution.residualSumOfSquares.map { ($0 / weightSum).squareRoot() }
        let overall = (solution.residualSumOfSquares.reduce(0, +) / (weightSum * Double(q))).squareRoot()
        let stats = FitStatistics(totalSamples: total, maskedSamples: total - usable, usedSamples: used, rank: solution.rank,
                                  singularValues: solution.singularValues, rmse: rmse, overallRMSE: overall, options: options)
        do {
            return try ColorMapping(kind: kind, coefficients: solution.coefficients, statistics: stats)
        } catch {
            // Finite, well-conditioned inputs cannot give non-finite coefficients; report rather than trap.
            throw .rankDeficient(kind: kind, rank: solution.rank, terms: p, info: solution.info)
        }
    }
}

/// Samples gathered planar (one row per term-program slot) until a chunk is full, then expanded
/// and appended to a QR as the rows `[√w φ(x) | √w y]`.
struct SampleChunk {
    let program: TermProgram
    let kind: ColorMapping.Kind
    let capacity: Int
    private(set) var count = 0
    /// `program.slotCount x capacity`: inputs, then terms and helper monomials.
    private var slots: [Double]
    /// `outputs x capacity`.
    private var targets: [Double]
    /// Square roots of the weights.
    private var scales: [Double]

    init(program: TermProgram, kind: ColorMapping.Kind, capacity: Int) {
        self.program = program
        self.kind = kind
        self.capacity = capacity
        slots = [Double](repeating: 0, count: program.slotCount * capacity)
        targets = [Double](repeating: 0, count: kind.outputCount * capacity)
        scales = [Double](repeating: 0, count: capacity)
    }

    @inline(__always)
    mutating func append(source s: SIMD4<Double>, target t: SIMD4<Double>, weight w: Double) {
        let i = count, c = capacity
        if kind.usesAveragedGreens {
            slots[i] = s[0]; slots[c + i] = (s[1] + s[2]) / 2; slots[2 * c + i] = s[3]
            targets[i] = t[0]; targets[c + i] = (t[1] + t[2]) / 2; targets[2 * c + i] = t[3]
        } else {
            slots[i] = s[0]; slots[c + i] = s[1]; slots[2 * c + i] = s[2]; slots[3 * c + i] = s[3]
            targets[i] = t[0]; targets[c + i] = t[1]; targets[2 * c + i] = t[2]; targets[3 * c + i] = t[3]
        }
        scales[i] = w == 1 ? 1 : w.squareRoot()
        count += 1
    }

    /// Expands the terms of the gathered samples and appends their rows to `qr`.
    mutating func flush(into qr: inout StreamingQR) throws(CalibrationError) {
        let m = count, c = capacity, p = kind.termCount
        guard m > 0 else { return }
        let program = self.program
        try slots.withUnsafeMutableBufferPointer { (sb) throws(CalibrationError) in
            let slot = sb.baseAddress!
            program.runPlanar(slot, stride: c, count: m)
            try targets.withUnsafeBufferPointer { (tb) throws(CalibrationError) in
                try scales.withUnsafeBufferPointer { (wb) throws(CalibrationError) in
                    let target = tb.baseAddress!, scale = wb.baseAddress!
                    try qr.appendRows(count: m) { column, dst in
                        if column < p {
                            if let k = program.termSlots[column] {
                                let src = slot + k * c
                                for i in 0..<m { dst[i] = scale[i] * src[i] }
                            } else {
                                for i in 0..<m { dst[i] = scale[i] }
                            }
                        } else {
                            let src = target + (column - p) * c
                            for i in 0..<m { dst[i] = scale[i] * src[i] }
                        }
                    }
                }
            }
        }
        count = 0
    }
}
