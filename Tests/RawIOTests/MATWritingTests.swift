import Foundation
import Testing
@testable import RawIO

@Suite("MAT-file writing")
struct MATWritingTests {
    /// The arrays of `Fixtures/mat-written/written.mat` (deterministic).
    static func fixtureArrays() -> [MATArray] {
        var rng = WriteTestRandom(seed: 5)
        let image = (0..<(4 * 6 * 4)).map { _ in Float(rng.unit()) }
        let mapping: [Double] = (0..<64).map { (i: Int) -> Double in
            let diagonal: Double = i % 5 == 0 ? 1 : 0
            return diagonal + Double(i) / 1000 - 0.02
        }
        return [
            MATArray(name: "raw_rggb", shape: [4, 6, 4], floatValues: image),
            MATArray(name: "mapping_matrix", shape: [16, 4], values: mapping),
            MATArray(name: "ab", shape: [1, 1], values: [-3.5]),
            MATArray(name: "counts", shape: [2, 3], values: [0, 1, 2, 65533, 65534, 65535], class: .uint16),
            MATArray(name: "offsets", shape: [3, 1], values: [-128, 0, 127], class: .int8),
            MATArray(name: "big", shape: [1, 2], values: [-2147483648, 2147483647], class: .int32),
            MATArray(name: "u8", shape: [1, 3], values: [0, 7, 255], class: .uint8),
            MATArray(name: "i16", shape: [2], values: [-300, 300], class: .int16),
            MATArray(name: "u32", shape: [1, 1], values: [4294967295], class: .uint32),
            MATArray(name: "i64", shape: [1, 2], values: [-9007199254740992, 9007199254740992], class: .int64),
            MATArray(name: "u64", shape: [1, 1], values: [18014398509481984], class: .uint64),
            MATArray(name: "mask", shape: [2, 2], values: [1, 0, 0, 1], class: .logical),
            MATArray(name: "cube", shape: [2, 3, 2, 2], values: (0..<24).map(Double.init), class: .single),
            MATArray(name: "nothing", shape: [0, 3], values: []),
        ]
    }

    @Test("PackedImage round trip through a MAT-file, single and double", arguments: [MATPrecision.single, .double])
    func packedRoundTrip(precision: MATPrecision) throws {
        let folder = WriteTestFolder()
        defer { folder.remove() }
        var rng = WriteTestRandom(seed: 11)
        let image = PackedImage(height: 7, width: 9, values: (0..<(7 * 9 * 4)).map { _ in Float(rng.unit()) })
        let url = folder.file("img.mat")
        try image.writeMAT(to: url, precision: precision)
        #expect(folder.contents() == ["img.mat"])
        let back = try PackedImage(contentsOfMAT: url)
        #expect(back == image)
        let file = try MATFile(contentsOf: url)
        #expect(file.variables == [MATFile.Variable(name: "raw_rggb", class: precision.matClass, shape: [7, 9, 4])])
        // Column-major on disk: the second stored value is (y=1, x=0, R).
        let bytes = [UInt8](try Data(contentsOf: url))
        let dataStart = bytes.count - (precision == .single ? 4 : 8) * image.values.count
        if precision == .single {
            let second = Float(bitPattern: UInt32(bytes[dataStart + 4]) | UInt32(bytes[dataStart + 5]) << 8 | UInt32(bytes[dataStart + 6]) << 16 | UInt32(bytes[dataStart + 7]) << 24)
            #expect(second == image[1, 0, .red])
        }
        // Another variable name.
        try image.writeMAT(to: url, variable: "raw_b")
        #expect(try MATFile(contentsOf: url).names == ["raw_b"])
    }

    @Test("every numeric class round trips, uncompressed and compressed", arguments: [false, true])
    func classesRoundTrip(compressed: Bool) throws {
        let folder = WriteTestFolder()
        defer { folder.remove() }
        let url = folder.file("all.mat")
        let arrays = Self.fixtureArrays()
        try MATFile.write(arrays: arrays, to: url, compressed: compressed)
        let back = try MATFile.read(contentsOf: url)
        #expect(back.map(\.name) == arrays.map(\.name))
        for (a, b) in zip(arrays, back) {
            #expect(a.shape == b.shape, "\(a.name)")
            #expect(a.class == b.class, "\(a.name)")
            #expect(a.values == b.values, "\(a.name)")
        }
        #expect(back.first { $0.name == "i16" }?.shape == [1, 2], "1-D arrays are written as rows")
        let bytes = [UInt8](try Data(contentsOf: url))
        #expect(bytes[128] == (compressed ? 15 : 14))
    }

    @Test("the written fixture is byte-identical and scipy.io.loadmat read what we meant", arguments: ["written", "written_compressed"])
    func scipyReadsOurFiles(stem: String) throws {
        let stored = [UInt8](WriteFixtures.data("mat-written/\(stem).mat"))
        let folder = WriteTestFolder()
        defer { folder.remove() }
        let url = folder.file("x.mat")
        try MATFile.write(arrays: Self.fixtureArrays(), to: url, compressed: stem.hasSuffix("compressed"))
        #expect([UInt8](try Data(contentsOf: url)) == stored, "the MAT writer's output changed: re-check it with scipy (see README) and update the fixture")
        let json = WriteFixtures.json("mat-written/\(stem).json")
        let variables = try #require(json["variables"] as? [String: [String: Any]])
        for a in Self.fixtureArrays() {
            let v = try #require(variables[a.name], "scipy did not see \(a.name)")
            #expect(v["shape"] as? [Int] == a.shape, "\(a.name)")
            #expect(WriteFixtures.doubles(v["values"]) == a.values, "\(a.name)")
            #expect(MATReadingTests.matClass(scipyDtype: v["class_dtype"] as? String ?? "") == a.class, "\(a.name)")
        }
        #expect(variables.count == Self.fixtureArrays().count)
    }

    @Test("invalid names, duplicates and out-of-range integers are refused before anything is written")
    func refusals() throws {
        let folder = WriteTestFolder()
        defer { folder.remove() }
        let url = folder.file("bad.mat")
        let ok = MATArray(name: "x", shape: [1, 1], values: [1])
        for name in ["", "1abc", "a-b", "_x", "é", String(repeating: "a", count: 64)] {
            #expect(throws: RawIOError.self) {
                try MATFile.write(arrays: [MATArray(name: name, shape: [1, 1], values: [1])], to: url)
            }
        }
        #expect(throws: RawIOError.writeFailed(path: url.path, reason: "variable 'x' is given twice")) {
            try MATFile.write(arrays: [ok, ok], to: url)
        }
        for (cls, value) in [(MATClass.uint8, 256.0), (.int8, -129), (.uint16, 0.5), (.logical, 2), (.int32, .nan), (.uint64, -1)] {
            #expect(throws: RawIOError.self, "\(cls) \(value)") {
                try MATFile.write(arrays: [MATArray(name: "v", shape: [1, 1], values: [value], class: cls)], to: url)
            }
        }
        #expect(folder.contents().isEmpty, "nothing written, no temporary file left")
        // A valid long name is fine.
        let long = String(repeating: "a", count: 63)
        try MATFile.write(arrays: [MATArray(name: long, shape: [1, 1], values: [1])], to: url)
        #expect(try MATFile(contentsOf: url).names == [long])
    }

    @Test("the mapping matrix helpers round trip")
    func mappingRoundTrip() throws {
        let folder = WriteTestFolder()
        defer { folder.remove() }
        let url = folder.file("m.mat")
        let m = (0..<64).map { Double($0) * 0.01 - 0.3 }
        try MATFile.writeMappingMatrix(m, to: url)
        #expect(try MATFile.readMappingMatrix(contentsOf: url) == m)
        #expect(try MATFile(contentsOf: url).array(named: "mapping_matrix")[15, 3] == m[63])
    }

    @Test("column-major and row-major permutations are inverse and match MATLAB order")
    func layout() {
        // A 2x3 matrix [[1,2,3],[4,5,6]] is stored column-major as 1,4,2,5,3,6.
        #expect(MATLayout.columnMajor(fromRowMajor: [1, 2, 3, 4, 5, 6], shape: [2, 3]) == [1, 4, 2, 5, 3, 6])
        #expect(MATLayout.rowMajor(fromColumnMajor: [1, 4, 2, 5, 3, 6], shape: [2, 3]) == [1, 2, 3, 4, 5, 6])
        let shape = [3, 1, 4, 2, 5]
        let values = (0..<120).map { $0 }
        let cm = MATLayout.columnMajor(fromRowMajor: values, shape: shape)
        #expect(MATLayout.rowMajor(fromColumnMajor: cm, shape: shape) == values)
        // Element (i0, i1, i2, i3, i4) sits at i0 + 3*(i1 + 1*(i2 + 4*(i3 + 2*i4))) in column-major order.
        let columnMajorIndex: Int = 2 + 3 * (0 + 1 * (3 + 4 * (1 + 2 * 4)))
        let rowMajorIndex: Int = (((2 * 1 + 0) * 4 + 3) * 2 + 1) * 5 + 4
        #expect(cm[columnMajorIndex] == rowMajorIndex)
    }
}

extension MATWritingTests {
    @Test("our files equal scipy.io.savemat's byte for byte after the 128-byte header",
          arguments: [("raw_rggb_iphonex-like_f32", MATPrecision.single), ("raw_rggb_s9-like_f64", .double)])
    func sameBytesAsScipy(stem: String, precision: MATPrecision) throws {
        let folder = WriteTestFolder()
        defer { folder.remove() }
        let source = WriteFixtures.url("mat/\(stem).mat")
        let url = folder.file("ours.mat")
        try PackedImage(contentsOfMAT: source).writeMAT(to: url, precision: precision)
        let ours = [UInt8](try Data(contentsOf: url)), scipy = [UInt8](try Data(contentsOf: source))
        #expect(ours.count == scipy.count)
        #expect(ours.dropFirst(116) == scipy.dropFirst(116), "everything after the descriptive text is identical")
        // The mapping matrix too.
        let m = try MATFile.readMappingMatrix(contentsOf: WriteFixtures.url("mat/mapping_matrix.mat"))
        try MATFile.writeMappingMatrix(m, to: url)
        #expect([UInt8](try Data(contentsOf: url)).dropFirst(116) == [UInt8](WriteFixtures.data("mat/mapping_matrix.mat")).dropFirst(116))
    }
}
