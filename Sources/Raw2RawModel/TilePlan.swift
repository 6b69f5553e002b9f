/// How an image is cut into overlapping tiles for mapping in bounded memory.
///
/// The image is (virtually) padded by edge replication to a multiple of the network's pooling
/// factor. Tile *cores* partition it; each tile's network input is its core plus a *halo* of
/// context on every side (clipped at the image edge); its output is used on the core widened
/// by ``blend`` pixels across each inner boundary, weighted by a linear ramp so that the weights
/// of neighbouring tiles sum to exactly one. With a halo at least the network's receptive radius
/// plus the blend width, every output pixel is what mapping the whole image at once gives (up
/// to floating-point rounding); the ramp hides any remaining seam if a smaller halo is chosen.
///
/// Every window has the same size (`tileSize + 2 * halo`, or the whole side when that is
/// smaller): windows at the image edges are shifted inwards rather than cut, which gives them
/// more context, and lets every tile reuse the same activation buffers.
struct TilePlan: Equatable {
    /// One tile along one axis.
    struct Span: Equatable {
        /// First and one-past-last index of the network input window (in padded coordinates).
        var windowStart: Int, windowEnd: Int
        /// First and one-past-last index of the core.
        var coreStart: Int, coreEnd: Int
        /// Whether the tile has a neighbour before / after it.
        var hasPrevious: Bool, hasNext: Bool
    }

    let height: Int, width: Int
    let paddedHeight: Int, paddedWidth: Int
    let rows: [Span], columns: [Span]
    let blend: Int

    /// Plans tiles of core side `tileSize` with `halo` context and `blend` ramp half-width.
    /// `tileSize` and `halo` are rounded up to multiples of `multiple`.
    init(height: Int, width: Int, tileSize: Int, halo: Int, blend: Int, multiple: Int) {
        precondition(height > 0 && width > 0 && tileSize > 0 && halo >= 0 && blend >= 0 && multiple > 0,
                     "bad tile plan: \(width)x\(height), tile \(tileSize), halo \(halo), blend \(blend), multiple \(multiple)")
        func up(_ v: Int) -> Int { (v + multiple - 1) / multiple * multiple }
        let t = up(tileSize), h = up(halo)
        precondition(blend <= h && 2 * blend <= t, "the blend width \(blend) must not exceed the halo \(h) or half the tile \(t)")
        self.height = height
        self.width = width
        self.paddedHeight = up(height)
        self.paddedWidth = up(width)
        self.blend = blend
        func spans(_ length: Int) -> [Span] {
            var out: [Span] = []
            let window = min(length, t + 2 * h)
            var start = 0
            while start < length {
                let end = min(length, start + t)
                let windowStart = min(max(0, start - h), length - window)
                out.append(Span(windowStart: windowStart, windowEnd: windowStart + window,
                                coreStart: start, coreEnd: end, hasPrevious: start > 0, hasNext: end < length))
                start = end
            }
            return out
        }
        rows = spans(paddedHeight)
        columns = spans(paddedWidth)
    }

    /// The number of tiles.
    var count: Int { rows.count * columns.count }

    /// The largest window side in each direction (what bounds a tile's memory).
    var largestWindow: (height: Int, width: Int) {
        (rows.map { $0.windowEnd - $0.windowStart }.max()!, columns.map { $0.windowEnd - $0.windowStart }.max()!)
    }

    /// The blending weight of `span`'s output at padded position `p` (0 outside its used range).
    func weight(_ span: Span, at p: Int) -> Float {
        let c = Float(p) + 0.5
        if span.hasPrevious && blend > 0 {
            let s = Float(span.coreStart)
            if c < s - Float(blend) { return 0 }
            if c < s + Float(blend) {
                let up = (c - (s - Float(blend))) / Float(2 * blend)
                return up * trailingWeight(span, c)
            }
        } else if c < Float(span.coreStart) {
            return 0
        }
        return trailingWeight(span, c)
    }

    private func trailingWeight(_ span: Span, _ c: Float) -> Float {
        if span.hasNext && blend > 0 {
            let e = Float(span.coreEnd)
            if c >= e + Float(blend) { return 0 }
            if c >= e - Float(blend) {
                // 1 minus the next tile's rising ramp, so the two sum to one.
                return 1 - (c - (e - Float(blend))) / Float(2 * blend)
            }
            return 1
        }
        return c < Float(span.coreEnd) ? 1 : 0
    }

    /// The first and one-past-last positions where `span`'s output has a non-zero weight.
    func usedRange(_ span: Span) -> Range<Int> {
        let lo = span.hasPrevious ? span.coreStart - blend : span.coreStart
        let hi = span.hasNext ? span.coreEnd + blend : span.coreEnd
        return lo..<hi
    }
}
