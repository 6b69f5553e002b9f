import Foundation
import RawIO
import RawTensor

/// One step's training data: `[N, 4, P, P]` patches and the `[N, 4, t, t]` thumbnails of the
/// whole images they were cut from (flipped like the patches).
struct TrainingBatch {
    var unpairedA: Tensor
    var unpairedAThumbnails: Tensor
    var unpairedB: Tensor
    var unpairedBThumbnails: Tensor
    var anchorA: Tensor
    var anchorAThumbnails: Tensor
    var anchorB: Tensor
    var anchorBThumbnails: Tensor
    /// The anchor pair each anchor patch was cut from.
    var anchorIndices: [Int] = []
}

/// The part of the sampler that a checkpoint saves: with it, a resumed run draws the same patches.
struct SamplerState: Codable, Equatable, Sendable {
    /// The generator every sampling choice is drawn from.
    var generator: SeededGenerator
    /// Indices of the unpaired A images held in memory.
    var residentA: [Int]
    /// Indices of the unpaired B images held in memory.
    var residentB: [Int]
    /// Indices of the anchor pairs held in memory.
    var residentAnchors: [Int]
}

/// Draws random patches (with flips) from lazily loaded image sets, deterministically.
///
/// Each set keeps a pool of at most `residentImages` images in memory; every
/// `refreshInterval` steps one resident image per set is swapped for a random other one. Patches
/// are drawn from resident images only, so memory stays bounded whatever the dataset's size,
/// while every image is visited over a long run. All choices come from ``SamplerState/generator``.
final class PatchSampler {
    let unpairedA: PackedImageSet
    let unpairedB: PackedImageSet
    let anchors: PackedImagePairSet
    let patchSize: Int
    let thumbnailSize: Int
    let flips: Bool
    let refreshInterval: Int
    /// ``SamplingConfiguration/gainAugmentation``, in stops (0: off).
    let gainAugmentation: Float
    /// ``SamplingConfiguration/anchorMixing``: the largest weight of the second pair (0: off).
    let anchorMixing: Float
    /// ``SamplingConfiguration/anchorTiling``: the side of the tiles anchor patches are assembled from (0: off).
    let anchorTiling: Int
    private(set) var state: SamplerState

    private struct Loaded {
        var image: PackedImage
        var thumbnail: [Float]
        var path: String
    }
    private var loadedA: [Int: Loaded] = [:]
    private var loadedB: [Int: Loaded] = [:]
    private var loadedAnchors: [Int: (a: Loaded, b: Loaded)] = [:]

    /// Creates a sampler with a fresh state drawn from `generator`.
    init(unpairedA: PackedImageSet, unpairedB: PackedImageSet, anchors: PackedImagePairSet,
         patchSize: Int, thumbnailSize: Int, flips: Bool, residentImages: Int, refreshInterval: Int,
         gainAugmentation: Float = 0, anchorMixing: Float = 0, anchorTiling: Int = 0, generator: SeededGenerator) {
        precondition(anchorTiling == 0 || (anchorTiling > 0 && patchSize % anchorTiling == 0),
                     "anchor tiles of \(anchorTiling) must divide the patch size \(patchSize)")
        self.gainAugmentation = gainAugmentation
        self.anchorMixing = anchorMixing
        self.anchorTiling = anchorTiling
        self.unpairedA = unpairedA
        self.unpairedB = unpairedB
        self.anchors = anchors
        self.patchSize = patchSize
        self.thumbnailSize = thumbnailSize
        self.flips = flips
        self.refreshInterval = max(1, refreshInterval)
        var g = generator
        func initialPool(_ count: Int) -> [Int] {
            let limit = residentImages == 0 ? count : min(residentImages, count)
            if limit == count { return Array(0..<count) }
            var all = Array(0..<count)
            for i in 0..<limit {  // partial Fisher-Yates: the first `limit` of a random permutation
                let j = i + g.nextInt(below: count - i)
                all.swapAt(i, j)
            }
            return Array(all[0..<limit])
        }
        let ra = initialPool(unpairedA.count), rb = initialPool(unpairedB.count), rp = initialPool(anchors.count)
        state = SamplerState(generator: g, residentA: ra, residentB: rb, residentAnchors: rp)
    }

    /// Replaces the state (when resuming), dropping images no longer resident.
    func restore(_ saved: SamplerState) {
        precondition(saved.residentA.allSatisfy { (0..<unpairedA.count).contains($0) }
                     && saved.residentB.allSatisfy { (0..<unpairedB.count).contains($0) }
                     && saved.residentAnchors.allSatisfy { (0..<anchors.count).contains($0) },
                     "sampler state does not fit the dataset")
        state = saved
        loadedA = loadedA.filter { saved.residentA.contains($0.key) }
        loadedB = loadedB.filter { saved.residentB.contains($0.key) }
        loadedAnchors = loadedAnchors.filter { saved.residentAnchors.contains($0.key) }
    }

    private func checkSize(_ image: PackedImage, path: String) throws(TrainingError) {
        guard image.height >= patchSize && image.width >= patchSize else {
            throw .imageTooSmall(path: path, height: image.height, width: image.width, patchSize: patchSize)
        }
    }

    private func loadUnpaired(_ set: PackedImageSet, _ index: Int) throws(TrainingError) -> Loaded {
        let image: PackedImage
        do { image = try set.image(at: index) } catch { throw .dataset(error) }
        let path = set.location(at: index)
        try checkSize(image, path: path)
        return Loaded(image: image, thumbnail: image.thumbnail(size: thumbnailSize), path: path)
    }

    private func unpaired(_ camera: Int, _ index: Int) throws(TrainingError) -> Loaded {
        if camera == 0 {
            if let l = loadedA[index] { return l }
            let l = try loadUnpaired(unpairedA, index)
            loadedA[index] = l
            return l
        } else {
            if let l = loadedB[index] { return l }
            let l = try loadUnpaired(unpairedB, index)
            loadedB[index] = l
            return l
        }
    }

    private func anchor(_ index: Int) throws(TrainingError) -> (a: Loaded, b: Loaded) {
        if let l = loadedAnchors[index] { return l }
        let pair: (a: PackedImage, b: PackedImage)
        do { pair = try anchors.pair(at: index) } catch { throw .dataset(error) }
        let (pa, pb) = anchors.locations(at: index)
        try checkSize(pair.a, path: pa)
        let l = (Loaded(image: pair.a, thumbnail: pair.a.thumbnail(size: thumbnailSize), path: pa),
                 Loaded(image: pair.b, thumbnail: pair.b.thumbnail(size: thumbnailSize), path: pb))
        loadedAnchors[index] = l
        return l
    }

    /// Swaps one resident index of a pool for a random non-resident one.
    private static func refresh(_ pool: inout [Int], total: Int, generator g: inout SeededGenerator) -> (old: Int, new: Int)? {
        guard pool.count < total, !pool.isEmpty else { return nil }
        let slot = g.nextInt(below: pool.count)
        let resident = Set(pool)
        var k = g.nextInt(below: total - pool.count)
        var candidate = 0
        while true {
            if !resident.contains(candidate) {
                if k == 0 { break }
                k -= 1
            }
            candidate += 1
        }
        let old = pool[slot]
        pool[slot] = candidate
        return (old, candidate)
    }

    /// Draws the batch of step `step` (0-based): `unpaired` patches per camera and `anchorCount` pairs.
    func batch(step: Int, unpaired: Int, anchorCount: Int) throws(TrainingError) -> TrainingBatch {
        var g = state.generator
        if step > 0 && step % refreshInterval == 0 {
            if let r = Self.refresh(&state.residentA, total: unpairedA.count, generator: &g) { loadedA[r.old] = nil }
            if let r = Self.refresh(&state.residentB, total: unpairedB.count, generator: &g) { loadedB[r.old] = nil }
            if let r = Self.refresh(&state.residentAnchors, total: anchors.count, generator: &g) { loadedAnchors[r.old] = nil }
        }
        let p = patchSize, t = thumbnailSize
        let patchCount = 4 * p * p, thumbCount = 4 * t * t

        func draw(_ image: PackedImage) -> (y: Int, x: Int, h: Bool, v: Bool) {
            let y = g.nextInt(below: image.height - p + 1)
            let x = g.nextInt(below: image.width - p + 1)
            let h = flips ? (g.next() & 1) == 1 : false
            let v = flips ? (g.next() & 1) == 1 : false
            return (y, x, h, v)
        }
        /// A random gain of ``gainAugmentation`` (1 when it is off, without drawing).
        func gain() -> Float {
            gainAugmentation > 0 ? Float(exp2(Double(gainAugmentation) * (2 * g.nextUniformDouble() - 1))) : 1
        }
        /// Multiplies `count` values from `start` by `k`, clipped to [0, 1].
        func scale(_ values: inout [Float], from start: Int, count: Int, by k: Float) {
            guard k != 1 else { return }
            for i in start..<(start + count) { values[i] = min(1, max(0, values[i] * k)) }
        }

        func unpairedBatch(_ camera: Int, _ pool: [Int]) throws(TrainingError) -> (Tensor, Tensor) {
            var patches = [Float](repeating: 0, count: unpaired * patchCount)
            var thumbs = [Float](repeating: 0, count: unpaired * thumbCount)
            for n in 0..<unpaired {
                let index = pool[g.nextInt(below: pool.count)]
                let l = try self.unpaired(camera, index)
                let d = draw(l.image)
                patches.withUnsafeMutableBufferPointer { buf in
                    l.image.copyPatch(y: d.y, x: d.x, size: p, flipHorizontal: d.h, flipVertical: d.v,
                                      into: buf.baseAddress! + n * patchCount)
                }
                let ft = flipThumbnail(l.thumbnail, size: t, horizontal: d.h, vertical: d.v)
                thumbs.replaceSubrange(n * thumbCount..<(n + 1) * thumbCount, with: ft)
                let k = gain()
                scale(&patches, from: n * patchCount, count: patchCount, by: k)
                scale(&thumbs, from: n * thumbCount, count: thumbCount, by: k)
            }
            return (Tensor(shape: [unpaired, 4, p, p], values: patches), Tensor(shape: [unpaired, 4, t, t], values: thumbs))
        }

        let (ua, uat) = unpaired > 0 ? try unpairedBatch(0, state.residentA) : (Tensor.zeros([0, 4, p, p]), Tensor.zeros([0, 4, t, t]))
        let (ub, ubt) = unpaired > 0 ? try unpairedBatch(1, state.residentB) : (Tensor.zeros([0, 4, p, p]), Tensor.zeros([0, 4, t, t]))

        var pa = [Float](repeating: 0, count: anchorCount * patchCount), pb = pa
        var ta = [Float](repeating: 0, count: anchorCount * thumbCount), tb = ta
        var indices: [Int] = []
        /// One anchor pair's patches and thumbnails, cut at the same random place in both cameras.
        func anchorPatch() throws(TrainingError) -> (index: Int, pa: [Float], pb: [Float], ta: [Float], tb: [Float]) {
            let index = state.residentAnchors[g.nextInt(below: state.residentAnchors.count)]
            let l = try anchor(index)
            let d = draw(l.a.image)
            var pa = [Float](repeating: 0, count: patchCount), pb = pa
            pa.withUnsafeMutableBufferPointer { buf in
                l.a.image.copyPatch(y: d.y, x: d.x, size: p, flipHorizontal: d.h, flipVertical: d.v, into: buf.baseAddress!)
            }
            pb.withUnsafeMutableBufferPointer { buf in
                l.b.image.copyPatch(y: d.y, x: d.x, size: p, flipHorizontal: d.h, flipVertical: d.v, into: buf.baseAddress!)
            }
            if anchorTiling > 0 { try retile(&pa, &pb) }
            return (index, pa, pb, flipThumbnail(l.a.thumbnail, size: t, horizontal: d.h, vertical: d.v),
                    flipThumbnail(l.b.thumbnail, size: t, horizontal: d.h, vertical: d.v))
        }
        /// Replaces every tile of a pair of `[4, p, p]` patches but the first by a tile of a random
        /// anchor pair, cut at the same random place in both cameras.
        func retile(_ pa: inout [Float], _ pb: inout [Float]) throws(TrainingError) {
            let side = anchorTiling, tiles = p / side, tileCount = 4 * side * side
            var tileA = [Float](repeating: 0, count: tileCount), tileB = tileA
            for tile in 1..<(tiles * tiles) {
                let l = try anchor(state.residentAnchors[g.nextInt(below: state.residentAnchors.count)])
                let y = g.nextInt(below: l.a.image.height - side + 1), x = g.nextInt(below: l.a.image.width - side + 1)
                tileA.withUnsafeMutableBufferPointer { l.a.image.copyPatch(y: y, x: x, size: side, flipHorizontal: false, flipVertical: false, into: $0.baseAddress!) }
                tileB.withUnsafeMutableBufferPointer { l.b.image.copyPatch(y: y, x: x, size: side, flipHorizontal: false, flipVertical: false, into: $0.baseAddress!) }
                let oy = (tile / tiles) * side, ox = (tile % tiles) * side
                for c in 0..<4 {
                    for r in 0..<side {
                        let to = c * p * p + (oy + r) * p + ox, from = c * side * side + r * side
                        for k in 0..<side {
                            pa[to + k] = tileA[from + k]
                            pb[to + k] = tileB[from + k]
                        }
                    }
                }
            }
        }
        /// `(1 - w) x + w y`, element-wise.
        func blend(_ x: [Float], _ y: [Float], _ w: Float) -> [Float] {
            zip(x, y).map { (1 - w) * $0 + w * $1 }
        }
        for n in 0..<anchorCount {
            var patch = try anchorPatch()
            indices.append(patch.index)
            if anchorMixing > 0 {
                // Mixup of two anchor pairs with the same weight on both sides: for a mapping that is
                // close to linear, the blend of two pairs is again a pair, of a new scene.
                let other = try anchorPatch()
                let w = anchorMixing * Float(g.nextUniformDouble())
                patch.pa = blend(patch.pa, other.pa, w)
                patch.pb = blend(patch.pb, other.pb, w)
                patch.ta = blend(patch.ta, other.ta, w)
                patch.tb = blend(patch.tb, other.tb, w)
            }
            pa.replaceSubrange(n * patchCount..<(n + 1) * patchCount, with: patch.pa)
            pb.replaceSubrange(n * patchCount..<(n + 1) * patchCount, with: patch.pb)
            ta.replaceSubrange(n * thumbCount..<(n + 1) * thumbCount, with: patch.ta)
            tb.replaceSubrange(n * thumbCount..<(n + 1) * thumbCount, with: patch.tb)
            let k = gain()
            scale(&pa, from: n * patchCount, count: patchCount, by: k)
            scale(&pb, from: n * patchCount, count: patchCount, by: k)
            scale(&ta, from: n * thumbCount, count: thumbCount, by: k)
            scale(&tb, from: n * thumbCount, count: thumbCount, by: k)
        }
        state.generator = g
        return TrainingBatch(
            unpairedA: ua, unpairedAThumbnails: uat, unpairedB: ub, unpairedBThumbnails: ubt,
            anchorA: Tensor(shape: [anchorCount, 4, p, p], values: pa),
            anchorAThumbnails: Tensor(shape: [anchorCount, 4, t, t], values: ta),
            anchorB: Tensor(shape: [anchorCount, 4, p, p], values: pb),
            anchorBThumbnails: Tensor(shape: [anchorCount, 4, t, t], values: tb),
            anchorIndices: indices)
    }
}
