import RawTensor

/// The value of each loss term of one training step (unweighted), and their weighted sum.
public struct LossTerms: Codable, Sendable, Equatable {
    /// Reconstruction, both cameras summed (0 when its weight is 0).
    public var reconstruction: Float
    /// Latent alignment summed over encoder levels (0 when its weight is 0).
    public var alignment: Float
    /// Cross-camera mapping, both directions summed (0 when its weight is 0).
    public var mapping: Float
    /// Cycle consistency, both cameras summed (0 when its weight is 0).
    public var cycle: Float
    /// Deviation from the base mapping on unpaired images, both directions summed (0 when its weight is 0).
    public var deviation: Float
    /// The weighted sum that is minimised.
    public var total: Float

    /// Creates loss values.
    public init(reconstruction: Float = 0, alignment: Float = 0, mapping: Float = 0, cycle: Float = 0,
                deviation: Float = 0, total: Float = 0) {
        self.reconstruction = reconstruction
        self.alignment = alignment
        self.mapping = mapping
        self.cycle = cycle
        self.deviation = deviation
        self.total = total
    }

    /// Every term by name.
    public var named: [String: Float] {
        ["reconstruction": reconstruction, "alignment": alignment, "mapping": mapping, "cycle": cycle,
         "deviation": deviation, "total": total]
    }

    /// Whether every value is finite.
    public var isFinite: Bool { named.values.allSatisfy(\.isFinite) }
}

extension Raw2RawNetwork {
    /// The distance of a loss term.
    static func distance(_ kind: LossKind, _ prediction: Variable, _ target: Variable) -> Variable {
        switch kind {
        case .l1: return l1Loss(prediction, target)
        case .l2: return mseLoss(prediction, target)
        }
    }

    /// Maps each thumbnail itself (no gradient): the thumbnail of the mapped image, which the
    /// second half of a cycle needs as its context.
    func mappedThumbnails(_ thumbnails: Tensor, from source: CameraSide) -> Tensor {
        withoutGradient {
            let t = Variable(thumbnails)
            return map(t, thumbnails: t, from: source).value
        }
    }

    /// Divides each anchor patch `[N, 4, p, p]` by the exposure gain of the pair it was cut from.
    static func exposureAligned(_ patches: Tensor, indices: [Int], gains: [Float]) -> Tensor {
        let n = patches.shape[0]
        precondition(indices.count == n, "one anchor index per patch, got \(indices.count) for \(n)")
        let per = patches.count / max(n, 1)
        var values = patches.scalars
        for b in 0..<n {
            let inverse = 1 / gains[indices[b]]
            for i in b * per..<(b + 1) * per { values[i] *= inverse }
        }
        return Tensor(shape: patches.shape, values: values)
    }

    /// The loss terms of one batch and the weighted total to back-propagate.
    ///
    /// - Parameter anchorGains: per anchor pair, the exposure gains of its target in each
    ///   direction (see ``ModelConfiguration/alignsAnchorExposure``); the mapping loss compares
    ///   with the targets divided by them. `nil`: targets as captured.
    func losses(_ batch: TrainingBatch, weights w: LossWeights, kind: LossKind,
                anchorGains: DirectionPair<[Float]>? = nil) -> (total: Variable, terms: LossTerms) {
        var terms = LossTerms()
        var weighted: [Variable] = []
        let usesContext = configuration.architecture == .residual && configuration.contextWidth > 0
        let ua = Variable(batch.unpairedA), ub = Variable(batch.unpairedB)

        var featuresUA: [Variable]?, featuresUB: [Variable]?
        if w.reconstruction > 0 {
            let fa = encode(ua, camera: .a), fb = encode(ub, camera: .b)
            featuresUA = fa
            featuresUB = fb
            let l = Self.distance(kind, reconstruct(ua, features: fa, camera: .a), ua)
                + Self.distance(kind, reconstruct(ub, features: fb, camera: .b), ub)
            terms.reconstruction = l.value.item
            weighted.append(w.reconstruction * l)
        }
        if w.cycle > 0 || w.deviation > 0 {
            func forward(_ x: Variable, _ thumbs: Tensor, _ features: [Variable]?, from source: CameraSide) -> (cycle: Variable?, deviation: Variable?) {
                let f = features ?? mappingFeatures(x, camera: source)
                let corr = usesContext ? correction(thumbnails: Variable(thumbs), from: source) : nil
                let mapped = map(x, features: f, correction: corr, from: source)
                var deviation: Variable?
                if w.deviation > 0 {
                    deviation = Self.distance(kind, mapped, Variable(base(from: source).apply(x.value).value))
                }
                guard w.cycle > 0 else { return (nil, deviation) }
                let mappedThumbs: Variable? = usesContext ? Variable(mappedThumbnails(thumbs, from: source)) : nil
                let back = map(mapped, thumbnails: mappedThumbs, from: source.other)
                return (Self.distance(kind, back, x), deviation)
            }
            let fa = forward(ua, batch.unpairedAThumbnails, featuresUA, from: .a)
            let fb = forward(ub, batch.unpairedBThumbnails, featuresUB, from: .b)
            if let ca = fa.cycle, let cb = fb.cycle {
                let l = ca + cb
                terms.cycle = l.value.item
                weighted.append(w.cycle * l)
            }
            if let da = fa.deviation, let db = fb.deviation {
                let l = da + db
                terms.deviation = l.value.item
                weighted.append(w.deviation * l)
            }
        }
        if w.alignment > 0 || w.mapping > 0 {
            let pa = Variable(batch.anchorA), pb = Variable(batch.anchorB)
            let fa = w.alignment > 0 ? encode(pa, camera: .a) : mappingFeatures(pa, camera: .a)
            let fb = w.alignment > 0 ? encode(pb, camera: .b) : mappingFeatures(pb, camera: .b)
            if w.alignment > 0 {
                let l = sum(zip(fa, fb).map { Self.distance(kind, $0, $1) })
                terms.alignment = l.value.item
                weighted.append(w.alignment * l)
            }
            if w.mapping > 0 {
                let ca = usesContext ? correction(thumbnails: Variable(batch.anchorAThumbnails), from: .a) : nil
                let cb = usesContext ? correction(thumbnails: Variable(batch.anchorBThumbnails), from: .b) : nil
                var targetB = pb, targetA = pa
                if let g = anchorGains {
                    targetB = Variable(Self.exposureAligned(pb.value, indices: batch.anchorIndices, gains: g.aToB))
                    targetA = Variable(Self.exposureAligned(pa.value, indices: batch.anchorIndices, gains: g.bToA))
                }
                let l = Self.distance(kind, map(pa, features: fa, correction: ca, from: .a), targetB)
                    + Self.distance(kind, map(pb, features: fb, correction: cb, from: .b), targetA)
                terms.mapping = l.value.item
                weighted.append(w.mapping * l)
            }
        }
        let total = sum(weighted)
        terms.total = total.value.item
        return (total, terms)
    }
}
