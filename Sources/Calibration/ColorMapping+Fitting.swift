import RawIO

extension ColorMapping {
    /// Fits a mapping on the pixels of aligned image pairs (the anchor set): `sources[i]` pixel
    /// by pixel onto `targets[i]`.
    ///
    /// Every pixel of every pair is a sample; the ``FitOptions/mask`` drops clipped and
    /// near-black ones, ``FitOptions/sampleBudget`` subsamples the rest uniformly (with
    /// ``FitOptions/seed``). The system is solved in Double by a streaming Householder QR
    /// (LAPACK `dgeqrf`) followed by an SVD solve of the small triangular system (`dgelsd`),
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
    ///   - sourcePatches: patch means in the source camera.
    ///   - targetPatches: the same patches in the target camera, in the same order.
    ///   - weights: optional per-patch weights.
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
    /// Rows buffered between QR factorizations.
    static let qrChunkRows = 4_096
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
            parallelFor(blocks.count) { b in
                let block = blocks[b]
                var usable = 0
                for i in block.start..<block.end {
                    let s = samples.source(pair: block.pair, index: i)
                    let t = samples.target(pair: block.pair, index: i)
                    let w = samples.weight(pair: block.pair, index: i)
                    if s - s != .zero {
                        set(b, .failure(.nonFiniteInput(what: samples.describe(pair: block.pair, index: i, role: "source"))))
                        return
                    }
                    if t - t != .zero {
                        set(b, .failure(.nonFiniteInput(what: samples.describe(pair: block.pair, index: i, role: "target"))))
                        return
                    }
                    if !(w.isFinite && w >= 0) {
                        set(b, .failure(.invalidWeight(what: samples.describe(pair: block.pair, index: i, role: "sample"), value: w)))
                        return
                    }
                    if w > 0 && mask.accepts(source: s, target: t) { usable += 1 }
                }
                set(b, .success(usable))
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

        // Pass 2: stream the selected samples of each segment through its own QR.
        let segments = ResultSlots<Result<SegmentResult, CalibrationError>>(count: segmentCount)
        segments.withSlots { set in
            parallelFor(segmentCount) { seg in
                let firstBlock = segmentStarts[seg], endBlock = segmentStarts[seg + 1]
                let expected = firstRank[endBlock] - firstRank[firstBlock]
                do throws(CalibrationError) {
                    var qr = try StreamingQR(columns: n, capacity: max(1, min(qrChunkRows, expected)))
                    var rank = firstRank[firstBlock]
                    var count = 0, weightSum = 0.0
                    var row = [Double](repeating: 0, count: n)
                    var slots = [Double](repeating: 0, count: program.slotCount)
                    for b in firstBlock..<endBlock {
                        let block = blocks[b]
                        for i in block.start..<block.end {
                            let s = samples.source(pair: block.pair, index: i)
                            let t = samples.target(pair: block.pair, index: i)
                            let w = samples.weight(pair: block.pair, index: i)
                            guard w > 0 && mask.accepts(source: s, target: t) else { continue }
                            defer { rank += 1 }
                            if let selection, !selection.contains(rank) { continue }
                            let sw = w.squareRoot()
                            fillRow(&row, slots: &slots, program: program, kind: kind, source: s, target: t, scale: sw)
                            try row.withUnsafeBufferPointer { (r) throws(CalibrationError) in try qr.append(r.baseAddress!) }
                            count += 1
                            weightSum += w
                        }
                    }
                    try qr.flush()
                    set(seg, .success(SegmentResult(triangle: qr.triangle, count: count, weightSum: weightSum)))
                } catch {
                    set(seg, .failure(error))
                }
            }
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
            var merge = try StreamingQR(columns: n, capacity: parts.count * n)
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

    /// Writes the row `[√w φ(x) | √w y]` of one sample.
    @inline(__always)
    static func fillRow(_ row: inout [Double], slots: inout [Double], program: TermProgram, kind: Kind,
                        source s: SIMD4<Double>, target t: SIMD4<Double>, scale sw: Double) {
        let p = kind.termCount
        slots.withUnsafeMutableBufferPointer { sp in
            let sl = sp.baseAddress!
            if kind.usesAveragedGreens {
                sl[0] = s[0]; sl[1] = (s[1] + s[2]) / 2; sl[2] = s[3]
            } else {
                sl[0] = s[0]; sl[1] = s[1]; sl[2] = s[2]; sl[3] = s[3]
            }
            program.run(sl)
            row.withUnsafeMutableBufferPointer { rp in
                let r = rp.baseAddress!
                for (k, slot) in program.termSlots.enumerated() {
                    r[k] = sw * (slot.map { sl[$0] } ?? 1)
                }
                if kind.usesAveragedGreens {
                    r[p] = sw * t[0]; r[p + 1] = sw * (t[1] + t[2]) / 2; r[p + 2] = sw * t[3]
                } else {
                    r[p] = sw * t[0]; r[p + 1] = sw * t[1]; r[p + 2] = sw * t[2]; r[p + 3] = sw * t[3]
                }
            }
        }
    }
}
