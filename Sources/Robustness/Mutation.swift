import Foundation
import RawCore

/// A place in a file that a structure-aware mutation may overwrite: a TIFF tag's type, count or
/// value, an IFD's entry count, a MAT element's type, size or dimension, and so on.
struct Field {
    /// The byte offset of the value.
    var offset: Int
    /// The width in bytes: 1, 2, 4 or 8.
    var width: Int
    /// What the value is, e.g. `IFD0[3] tag 256 count`.
    var label: String
}

/// Seeded mutations of a file's bytes. Every choice comes from the generator handed in, so a
/// (seed, case index) pair always produces the same mutated file.
enum Mutator {
    /// Applies one to three mutations suited to `format` to `bytes`; returns the new bytes and a
    /// description of what was done.
    static func mutate(_ bytes: [UInt8], format: RobustnessFormat, using g: inout SeededGenerator) -> ([UInt8], String) {
        let roll = g.nextInt(below: 10)
        let count = roll < 7 ? 1 : roll < 9 ? 2 : 3
        var current = bytes
        var notes: [String] = []
        for _ in 0..<count {
            let (next, note) = mutateOnce(current, format: format, using: &g)
            current = next
            notes.append(note)
        }
        return (current, notes.joined(separator: " + "))
    }

    private static func mutateOnce(_ bytes: [UInt8], format: RobustnessFormat, using g: inout SeededGenerator) -> ([UInt8], String) {
        let r = g.nextInt(below: 100)
        switch format {
        case .dng:
            if r < 45, let m = fieldMutation(bytes, fields: tiffFields(bytes), using: &g) { return m }
        case .mat:
            if r < 45, let m = fieldMutation(bytes, fields: matFields(bytes), using: &g) { return m }
        case .safetensors, .modelWeights:
            if r < 10 { return headerLengthMutation(bytes, using: &g) }
            if r < 50, let m = safetensorsHeaderMutation(bytes, using: &g) { return m }
        case .modelJSON, .mapping, .manifest:
            if r < 65, let m = jsonMutation(bytes, using: &g) { return m }
        }
        return genericMutation(bytes, using: &g)
    }

    // MARK: - Format-blind mutations

    static func genericMutation(_ bytes: [UInt8], using g: inout SeededGenerator) -> ([UInt8], String) {
        var b = bytes
        guard !b.isEmpty else { return ([0], "insert one byte into an empty file") }
        switch g.nextInt(below: 6) {
        case 0:
            let n = 1 + g.nextInt(below: 8)
            var offsets: [Int] = []
            for _ in 0..<n {
                let o = g.nextInt(below: b.count)
                b[o] ^= UInt8(1 + g.nextInt(below: 255))
                offsets.append(o)
            }
            return (b, "flip bytes at \(offsets.map(String.init).joined(separator: ","))")
        case 1:
            // Cuts near the start (headers) are as likely as cuts anywhere.
            let length = g.nextInt(below: 2) == 0 ? g.nextInt(below: min(b.count, 512)) : g.nextInt(below: b.count)
            return (Array(b.prefix(length)), "truncate to \(length) of \(b.count) bytes")
        case 2:
            let length = 1 + g.nextInt(below: max(1, min(b.count / 4, 256)))
            let from = g.nextInt(below: max(1, b.count - length + 1)), to = g.nextInt(below: max(1, b.count - length + 1))
            let chunk = Array(b[from..<min(b.count, from + length)])
            for (i, v) in chunk.enumerated() where to + i < b.count { b[to + i] = v }
            return (b, "copy \(chunk.count) bytes from \(from) over \(to)")
        case 3:
            let length = 1 + g.nextInt(below: max(1, min(b.count / 4, 256)))
            let from = g.nextInt(below: max(1, b.count - length + 1)), at = g.nextInt(below: b.count + 1)
            let chunk = Array(b[from..<min(b.count, from + length)])
            b.insert(contentsOf: chunk, at: at)
            return (b, "insert a copy of \(chunk.count) bytes from \(from) at \(at)")
        case 4:
            let length = 1 + g.nextInt(below: max(1, min(b.count / 4, 256)))
            let from = g.nextInt(below: b.count)
            b.removeSubrange(from..<min(b.count, from + length))
            return (b, "delete \(length) bytes at \(from)")
        default:
            let width = [2, 4, 8][g.nextInt(below: 3)]
            guard b.count >= width else { return genericMutation(bytes, using: &g) }
            let offset = g.nextInt(below: b.count - width + 1) & ~(width - 1)
            let value = extremeValue(current: 0, width: width, fileSize: b.count, using: &g)
            let bigEndian = g.nextInt(below: 2) == 0
            store(value, at: offset, width: width, bigEndian: bigEndian, in: &b)
            return (b, "write \(hex(value)) as a \(width)-byte \(bigEndian ? "big" : "little")-endian value at \(offset)")
        }
    }

    // MARK: - Extreme values in known fields

    static func fieldMutation(_ bytes: [UInt8], fields: (fields: [Field], bigEndian: Bool), using g: inout SeededGenerator) -> ([UInt8], String)? {
        guard !fields.fields.isEmpty else { return nil }
        let f = fields.fields[g.nextInt(below: fields.fields.count)]
        guard f.offset >= 0, f.offset + f.width <= bytes.count else { return nil }
        var b = bytes
        let current = load(at: f.offset, width: f.width, bigEndian: fields.bigEndian, in: b)
        let value = extremeValue(current: current, width: f.width, fileSize: b.count, using: &g)
        store(value, at: f.offset, width: f.width, bigEndian: fields.bigEndian, in: &b)
        return (b, "\(f.label) := \(hex(value)) (was \(hex(current)))")
    }

    static func extremeValue(current: UInt64, width: Int, fileSize: Int, using g: inout SeededGenerator) -> UInt64 {
        let candidates: [UInt64] = [
            0, 1, 2, 3, 4, 7, 8, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x1_0000,
            0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0xFFFF_FFFE, 0x1_0000_0000, UInt64(Int64.max), UInt64.max,
            UInt64(fileSize), UInt64(max(0, fileSize - 1)), UInt64(fileSize + 1), UInt64(fileSize / 2),
            current &+ 1, current &- 1, current &* 2, current &* 1000, current >> 1, g.next(),
        ]
        let v = candidates[g.nextInt(below: candidates.count)]
        return width >= 8 ? v : v & ((1 << UInt64(8 * width)) - 1)
    }

    static func load(at offset: Int, width: Int, bigEndian: Bool, in b: [UInt8]) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<width {
            let byte = UInt64(b[offset + (bigEndian ? i : width - 1 - i)])
            v = v << 8 | byte
        }
        return v
    }

    static func store(_ value: UInt64, at offset: Int, width: Int, bigEndian: Bool, in b: inout [UInt8]) {
        for i in 0..<width {
            let byte = UInt8(truncatingIfNeeded: value >> UInt64(8 * i))
            b[offset + (bigEndian ? width - 1 - i : i)] = byte
        }
    }

    static func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16, uppercase: true) }

    // MARK: - TIFF / DNG structure

    /// The fields of a TIFF file: header, every IFD's entry count and next-IFD offset, each
    /// entry's tag, type, count and value, and the first elements of short out-of-line values.
    static func tiffFields(_ b: [UInt8]) -> (fields: [Field], bigEndian: Bool) {
        guard b.count >= 8, (b[0] == 0x49 && b[1] == 0x49) || (b[0] == 0x4D && b[1] == 0x4D) else { return ([], false) }
        let be = b[0] == 0x4D
        var fields = [Field(offset: 2, width: 2, label: "TIFF magic"), Field(offset: 4, width: 4, label: "IFD0 offset")]
        var queue = [(Int(load(at: 4, width: 4, bigEndian: be, in: b)), "IFD0")]
        var seen = Set<Int>()
        let typeSizes = [1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4]
        while let (ifd, name) = queue.first, seen.count < 32 {
            queue.removeFirst()
            guard ifd > 0, ifd + 2 <= b.count, seen.insert(ifd).inserted else { continue }
            let n = Int(load(at: ifd, width: 2, bigEndian: be, in: b))
            fields.append(Field(offset: ifd, width: 2, label: "\(name) entry count"))
            for i in 0..<min(n, 512) {
                let e = ifd + 2 + 12 * i
                guard e + 12 <= b.count else { break }
                let tag = Int(load(at: e, width: 2, bigEndian: be, in: b))
                let type = Int(load(at: e + 2, width: 2, bigEndian: be, in: b))
                let count = Int(load(at: e + 4, width: 4, bigEndian: be, in: b))
                let value = Int(load(at: e + 8, width: 4, bigEndian: be, in: b))
                let entry = "\(name)[\(i)] tag \(tag)"
                fields += [Field(offset: e, width: 2, label: "\(entry) tag"), Field(offset: e + 2, width: 2, label: "\(entry) type"),
                           Field(offset: e + 4, width: 4, label: "\(entry) count"), Field(offset: e + 8, width: 4, label: "\(entry) value")]
                let size = (typeSizes[type] ?? 1) * count
                if [330, 34665].contains(tag) {
                    if size <= 4 { queue.append((value, "\(name).sub\(tag)")) } else if value + 4 * count <= b.count {
                        for k in 0..<min(count, 4) { queue.append((Int(load(at: value + 4 * k, width: 4, bigEndian: be, in: b)), "\(name).sub\(tag)#\(k)")) }
                    }
                }
                if size > 4, size <= 64, value + size <= b.count {
                    let w = [3, 8].contains(type) ? 2 : 4
                    for k in 0..<min(size / w, 8) {
                        fields.append(Field(offset: value + k * w, width: w, label: "\(entry) element \(k)"))
                    }
                }
            }
            let next = ifd + 2 + 12 * n
            if next + 4 <= b.count {
                fields.append(Field(offset: next, width: 4, label: "\(name) next-IFD offset"))
                queue.append((Int(load(at: next, width: 4, bigEndian: be, in: b)), name + "+"))
            }
        }
        return (fields, be)
    }

    // MARK: - MAT structure

    /// The fields of a MAT v5 file: header version and endian marks, every data element's type
    /// and size, a matrix's flags (class), dimensions and sub-element tags.
    static func matFields(_ b: [UInt8]) -> (fields: [Field], bigEndian: Bool) {
        guard b.count >= 128 else { return ([], false) }
        let be = b[126] == UInt8(ascii: "M") && b[127] == UInt8(ascii: "I")
        var fields = [Field(offset: 124, width: 2, label: "header version"), Field(offset: 126, width: 2, label: "endian indicator")]
        var p = 128, element = 0
        while p + 8 <= b.count, element < 64 {
            let type = load(at: p, width: 4, bigEndian: be, in: b)
            if type >> 16 != 0 {
                fields.append(Field(offset: p, width: 4, label: "element \(element) small tag"))
                p += 8
            } else {
                let size = Int(load(at: p + 4, width: 4, bigEndian: be, in: b))
                fields += [Field(offset: p, width: 4, label: "element \(element) type"), Field(offset: p + 4, width: 4, label: "element \(element) size")]
                if type == 14 { fields += matrixFields(b, from: p + 8, to: min(b.count, p + 8 + size), bigEndian: be, element: element) }
                p += 8 + (type == 15 ? size : (size + 7) & ~7)
            }
            element += 1
        }
        return (fields, be)
    }

    private static func matrixFields(_ b: [UInt8], from start: Int, to end: Int, bigEndian be: Bool, element: Int) -> [Field] {
        var fields: [Field] = [], q = start, sub = 0
        let names = ["flags", "dimensions", "name", "real part", "imaginary part"]
        while q + 8 <= end, sub < 8 {
            let label = "element \(element) \(sub < names.count ? names[sub] : "sub-element \(sub)")"
            let t = load(at: q, width: 4, bigEndian: be, in: b)
            let small = t >> 16 != 0
            let size = small ? Int(t >> 16) : Int(load(at: q + 4, width: 4, bigEndian: be, in: b))
            if small {
                fields.append(Field(offset: q, width: 4, label: "\(label) small tag"))
            } else {
                fields += [Field(offset: q, width: 4, label: "\(label) type"), Field(offset: q + 4, width: 4, label: "\(label) size")]
            }
            let data = q + (small ? 4 : 8)
            if sub == 0, data + 4 <= end { fields.append(Field(offset: data, width: 4, label: "\(label) (class and flags)")) }
            if sub == 1 {
                for k in 0..<min(size / 4, 6) where data + 4 * k + 4 <= end {
                    fields.append(Field(offset: data + 4 * k, width: 4, label: "\(label) [\(k)]"))
                }
            }
            q = small ? q + 8 : q + 8 + (size + 7) & ~7
            sub += 1
        }
        return fields
    }

    // MARK: - safetensors

    static func headerLengthMutation(_ bytes: [UInt8], using g: inout SeededGenerator) -> ([UInt8], String) {
        guard bytes.count >= 8 else { return genericMutation(bytes, using: &g) }
        var b = bytes
        let current = load(at: 0, width: 8, bigEndian: false, in: b)
        let value = extremeValue(current: current, width: 8, fileSize: b.count, using: &g)
        store(value, at: 0, width: 8, bigEndian: false, in: &b)
        return (b, "header length := \(hex(value)) (was \(hex(current)))")
    }

    static func safetensorsHeaderMutation(_ bytes: [UInt8], using g: inout SeededGenerator) -> ([UInt8], String)? {
        guard bytes.count >= 8 else { return nil }
        let length = Int(clamping: load(at: 0, width: 8, bigEndian: false, in: bytes))
        guard length <= bytes.count - 8, let header = JSONText.parse(Array(bytes[8..<(8 + length)])) else { return nil }
        let (newHeader, note) = jsonEdit(header, using: &g)
        var text = Array(newHeader.serialized().utf8)
        // Usually keep the header length honest (pad to 8 bytes as writers do), sometimes not.
        let honest = g.nextInt(below: 4) != 0
        if honest { while text.count % 8 != 0 { text.append(0x20) } }
        var b = [UInt8](repeating: 0, count: 8)
        store(UInt64(honest ? text.count : length), at: 0, width: 8, bigEndian: false, in: &b)
        b += text
        b += bytes[(8 + length)...]
        return (b, "header: \(note)\(honest ? "" : " (old header length kept)")")
    }

    // MARK: - JSON

    static func jsonMutation(_ bytes: [UInt8], using g: inout SeededGenerator) -> ([UInt8], String)? {
        guard let tree = JSONText.parse(bytes) else { return nil }
        let (edited, note) = jsonEdit(tree, using: &g)
        return (Array(edited.serialized().utf8), note)
    }

    /// Tokens that a reader must take for what they are: out-of-range numbers, wrong types,
    /// non-numbers spelled as strings.
    static let replacementTokens = [
        "0", "-1", "1", "-0", "0.5", "-0.5", "1e308", "-1e308", "1e999", "-1e999", "1e-320", "2147483648", "4294967296",
        "9223372036854775807", "9223372036854775808", "-9223372036854775809", "18446744073709551615",
        "123456789012345678901234567890", "\"nan\"", "\"NaN\"", "\"inf\"", "\"-inf\"", "\"\"", "\"x\"",
        "\"\\u0000\"", "\"\\ud800\"", "null", "true", "false", "[]", "{}", "[1,2,3]", "[-1]", "[[]]", "{\"a\":1}",
    ]

    static func jsonEdit(_ tree: JSONText, using g: inout SeededGenerator) -> (JSONText, String) {
        let paths = tree.paths()
        let path = paths[g.nextInt(below: paths.count)]
        let name = tree.describe(path)
        let node = tree.value(at: path)
        switch g.nextInt(below: 10) {
        case 0...3:
            let token = replacementTokens[g.nextInt(below: replacementTokens.count)]
            return (tree.replacing(at: path) { _ in .token(token) }, "\(name) := \(token)")
        case 4:
            let depth = [16, 300, 513, 5_000, 100_000][g.nextInt(below: 5)]
            let open = g.nextInt(below: 2) == 0
            let text = open ? String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
                : String(repeating: "{\"a\":", count: depth) + "0" + String(repeating: "}", count: depth)
            return (tree.replacing(at: path) { _ in .token(text) }, "\(name) := \(depth)-deep nesting")
        case 5:
            let length = [1_000, 1_000_000][g.nextInt(below: 2)]
            return (tree.replacing(at: path) { _ in .token("\"" + String(repeating: "x", count: length) + "\"") }, "\(name) := \(length)-character string")
        case 6:
            // Negate or scale a number; elsewhere, a negative count.
            if case .token(let t) = node, let v = Double(t) {
                let options = ["\(-v)", "\(v * 1e6)", "\(v + 0.5)", String(format: "%.0f", v * 65536)]
                let token = options[g.nextInt(below: options.count)]
                return (tree.replacing(at: path) { _ in .token(token) }, "\(name) := \(token) (was \(t))")
            }
            return (tree.replacing(at: path) { _ in .token("-7") }, "\(name) := -7")
        case 7:
            // Remove or duplicate an object member, or an array element.
            guard let last = path.last else { return (.token("{}"), "root := {}") }
            let parentPath = Array(path.dropLast())
            let duplicate = g.nextInt(below: 2) == 0
            let edited = tree.replacing(at: parentPath) { parent in
                switch parent {
                case .object(var members):
                    if duplicate { members.insert(members[last], at: last) } else { members.remove(at: last) }
                    return .object(members)
                case .array(var items):
                    if duplicate { items.insert(items[last], at: last) } else { items.remove(at: last) }
                    return .array(items)
                case .token: return parent
                }
            }
            return (edited, "\(duplicate ? "duplicate" : "remove") \(name)")
        case 8:
            // Grow or empty an array.
            if case .array(let items) = node, !items.isEmpty {
                // At most about 4 MB of JSON: a bigger file is slow to read for its size, not hung.
                let elementSize = max(1, items[0].serialized().utf8.count)
                let n = min([0, 1, 1_000, 100_000][g.nextInt(below: 4)], max(1, 4_000_000 / elementSize))
                let grown = Array((0..<n).map { items[$0 % items.count] })
                return (tree.replacing(at: path) { _ in .array(grown) }, "\(name) := \(n) elements (was \(items.count))")
            }
            return (tree.replacing(at: path) { _ in .array([]) }, "\(name) := []")
        default:
            // Swap in a value from elsewhere in the document (a type from a sibling field).
            let other = paths[g.nextInt(below: paths.count)]
            let donor = tree.value(at: other)
            return (tree.replacing(at: path) { _ in donor }, "\(name) := the value of \(tree.describe(other))")
        }
    }
}
