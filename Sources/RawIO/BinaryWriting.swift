extension Array where Element == UInt8 {
    /// Appends `v` as little-endian bytes.
    mutating func appendLE<T: FixedWidthInteger>(_ v: T) {
        Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) }
    }

    /// Overwrites `bytes.count` bytes from `offset` with `bytes`.
    mutating func storeBytes(at offset: Int, _ bytes: [UInt8]) {
        replaceSubrange(offset..<(offset + bytes.count), with: bytes)
    }

    /// Overwrites the bytes at `offset` with `v`, little-endian.
    mutating func storeLE<T: FixedWidthInteger>(at offset: Int, _ v: T) {
        Swift.withUnsafeBytes(of: v.littleEndian) { b in
            for i in 0..<b.count { self[offset + i] = b[i] }
        }
    }
}
