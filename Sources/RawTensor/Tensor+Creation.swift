import RawCore
extension Tensor {
    /// A tensor of zeros.
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 0) }

    /// A tensor of ones.
    public static func ones(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 1) }

    /// A tensor of zeros with the shape of `other`.
    public static func zeros(like other: Tensor) -> Tensor { Tensor(shape: other.shape, repeating: 0) }

    /// A 1-D tensor with the values `0, 1, ..., count - 1`.
    public static func arange(_ count: Int) -> Tensor {
        precondition(count >= 0, "arange needs a non-negative count, got \(count)")
        let t = Tensor(uninitializedShape: [count])
        for i in 0..<count { t.storage.pointer[i] = Float(i) }
        return t
    }

    /// Samples from a normal distribution with the given mean and standard deviation.
    public static func randomNormal(_ shape: [Int], mean: Float = 0, standardDeviation: Float = 1,
                                    using generator: inout SeededGenerator) -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        let p = t.storage.pointer
        for i in 0..<t.count { p[i] = mean + standardDeviation * generator.nextNormal() }
        return t
    }

    /// Samples uniformly from `[lowerBound, upperBound)`.
    public static func randomUniform(_ shape: [Int], in range: Range<Float> = 0..<1,
                                     using generator: inout SeededGenerator) -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        let p = t.storage.pointer
        let lo = range.lowerBound, width = range.upperBound - range.lowerBound
        for i in 0..<t.count { p[i] = lo + width * generator.nextUniform() }
        return t
    }
}
