/// A streaming Householder QR factorization of the rows `[√w φ(x) | √w y]` of a least-squares
/// problem (tall-skinny QR, as in TSQR).
///
/// Rows are buffered under the current triangular factor `R` and, when the buffer is full,
/// `[R; rows]` is factored again with LAPACK `dgeqrt` (one panel of all columns, factored by the
/// recursive, matrix-matrix `dgeqrt3`), keeping only the new `R`. Memory stays at
/// `(columns + capacity) x columns` doubles however many rows stream through, and the result is
/// the `R` of a QR factorization of all rows: numerically that of a QR of the full matrix
/// (never the normal equations, which square the condition number).
///
/// For `[A | B] = Q [R_AA R_AB; 0 R_BB]` the least-squares solution is that of `R_AA X = R_AB`,
/// and the residual of output `j` is the norm of column `j` of `R_BB`.
struct StreamingQR {
    /// Columns of the augmented matrix (terms + outputs).
    let columns: Int
    /// Rows buffered between factorizations.
    let capacity: Int
    private let leadingDimension: Int
    /// Column-major `leadingDimension x columns`: rows `0..<columns` hold `R`, the rest the buffer.
    private var storage: [Double]
    /// The block reflector factor `T` and the workspace of `dgeqrt`, `columns x columns` each.
    private var reflectors: [Double]
    private var work: [Double]
    private(set) var pending = 0

    init(columns: Int, capacity: Int) {
        precondition(columns > 0 && capacity > 0, "StreamingQR needs positive sizes")
        self.columns = columns
        self.capacity = capacity
        leadingDimension = columns + capacity
        storage = [Double](repeating: 0, count: leadingDimension * columns)
        reflectors = [Double](repeating: 0, count: columns * columns)
        work = [Double](repeating: 0, count: columns * columns)
    }

    /// Appends one row of `columns` values, factoring when the buffer is full.
    mutating func append(_ row: UnsafePointer<Double>) throws(CalibrationError) {
        let ld = leadingDimension, n = columns, r = n + pending
        storage.withUnsafeMutableBufferPointer { s in
            let base = s.baseAddress!
            for c in 0..<n { base[c * ld + r] = row[c] }
        }
        pending += 1
        if pending == capacity { try flush() }
    }

    /// Appends `count` rows (at most ``capacity``) given column by column, then factors.
    ///
    /// `fill(column, destination)` writes the `count` values of one column of the new rows.
    mutating func appendRows(count: Int, _ fill: (_ column: Int, _ destination: UnsafeMutablePointer<Double>) -> Void) throws(CalibrationError) {
        precondition(pending == 0 && count <= capacity, "appendRows takes at most \(capacity) rows into an empty buffer")
        guard count > 0 else { return }
        let ld = leadingDimension, n = columns
        storage.withUnsafeMutableBufferPointer { s in
            let base = s.baseAddress!
            for c in 0..<n { fill(c, base + c * ld + n) }
        }
        pending = count
        try flush()
    }

    /// Appends the rows of an upper-triangular `columns x columns` factor (column-major), e.g.
    /// the `R` of another stream, so that the factorizations merge.
    mutating func append(triangle r: [Double]) throws(CalibrationError) {
        let n = columns
        precondition(r.count == n * n, "triangle must be \(n)x\(n)")
        var row = [Double](repeating: 0, count: n)
        for i in 0..<n {
            for c in 0..<n { row[c] = c >= i ? r[c * n + i] : 0 }
            try row.withUnsafeBufferPointer { (b) throws(CalibrationError) in try append(b.baseAddress!) }
        }
    }

    /// Factors `[R; buffered rows]` and keeps the new `R`.
    mutating func flush() throws(CalibrationError) {
        guard pending > 0 else { return }
        let ld = leadingDimension, n = columns, rows = n + pending
        try storage.withUnsafeMutableBufferPointer { (s) throws(CalibrationError) in
            try reflectors.withUnsafeMutableBufferPointer { (t) throws(CalibrationError) in
                try work.withUnsafeMutableBufferPointer { (w) throws(CalibrationError) in
                    try LAPACK.qrFactorizeBlocked(rows: rows, columns: n, blockSize: n, matrix: s.baseAddress!,
                                                  leadingDimension: ld, t: t.baseAddress!, work: w.baseAddress!)
                }
            }
            // Clear the Householder vectors below R's diagonal; the buffer rows are overwritten next.
            let base = s.baseAddress!
            for c in 0..<n { for i in (c + 1)..<n { base[c * ld + i] = 0 } }
        }
        pending = 0
    }

    /// The `columns x columns` upper-triangular factor, column-major (call ``flush()`` first).
    var triangle: [Double] {
        precondition(pending == 0, "flush before reading the triangle")
        let n = columns, ld = leadingDimension
        var r = [Double](repeating: 0, count: n * n)
        for c in 0..<n { for i in 0...c { r[c * n + i] = storage[c * ld + i] } }
        return r
    }
}

/// The solution of a least-squares problem given by the triangle of ``StreamingQR``.
struct LeastSquaresSolution {
    /// `p x q`, row-major.
    var coefficients: [Double]
    var rank: Int
    var info: Int
    var singularValues: [Double]
    /// Weighted residual sum of squares of each output on the data (without the ridge penalty).
    var residualSumOfSquares: [Double]

    /// Solves `min ‖R_AA X − R_AB‖² + ridgeScale² Σ_{k ∈ penalized} ‖X_k‖²` with LAPACK `dgelsd`.
    /// - Parameters:
    ///   - triangle: `(p + q) x (p + q)` upper-triangular factor of `[A | B]`, column-major.
    ///   - penalized: the term rows the ridge shrinks.
    static func solve(triangle r: [Double], terms p: Int, outputs q: Int, penalized: [Int], ridgeScale: Double,
                      rankTolerance: Double) throws(CalibrationError) -> LeastSquaresSolution {
        let n = p + q
        precondition(r.count == n * n)
        let ridgeRows = ridgeScale > 0 ? penalized.count : 0
        let m = p + ridgeRows
        let ldb = max(m, p)
        var a = [Double](repeating: 0, count: m * p)       // column-major m x p
        var b = [Double](repeating: 0, count: ldb * q)     // column-major ldb x q
        for c in 0..<p { for i in 0...c { a[c * m + i] = r[c * n + i] } }
        for (k, term) in (ridgeScale > 0 ? penalized : []).enumerated() { a[term * m + p + k] = ridgeScale }
        for j in 0..<q { for i in 0..<p { b[j * ldb + i] = r[(p + j) * n + i] } }
        var s = [Double](repeating: 0, count: min(m, p))
        let (rank, info) = try a.withUnsafeMutableBufferPointer { (ap) throws(CalibrationError) in
            try b.withUnsafeMutableBufferPointer { (bp) throws(CalibrationError) in
                try s.withUnsafeMutableBufferPointer { (sp) throws(CalibrationError) in
                    try LAPACK.leastSquaresSVD(rows: m, columns: p, rightHandSides: q, a: ap.baseAddress!, leadingDimensionA: m,
                                               b: bp.baseAddress!, leadingDimensionB: ldb, singularValues: sp.baseAddress!,
                                               rankTolerance: rankTolerance)
                }
            }
        }
        var x = [Double](repeating: 0, count: p * q)
        for i in 0..<p { for j in 0..<q { x[i * q + j] = b[j * ldb + i] } }
        // Data residual of this X: ‖R_AA x_j − R_AB[:, j]‖² + ‖R_BB[:, j]‖².
        var rss = [Double](repeating: 0, count: q)
        for j in 0..<q {
            var sum = 0.0
            for i in 0..<p {
                var v = -r[(p + j) * n + i]
                for c in i..<p { v += r[c * n + i] * x[c * q + j] }
                sum += v * v
            }
            for i in 0...j { let v = r[(p + j) * n + p + i]; sum += v * v }
            rss[j] = sum
        }
        return LeastSquaresSolution(coefficients: x, rank: rank, info: info, singularValues: s, residualSumOfSquares: rss)
    }
}
