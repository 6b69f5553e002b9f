import Foundation
import Testing
@testable import RawIO

@Suite("MAT-file reading")
struct MATReadingTests {
    static let datasetStems = ["mapping_matrix", "raw_rggb_gbrg-10bit_f32_compressed", "raw_rggb_iphonex-like_f32",
                               "raw_rggb_s9-like_f64", "wrong_varname"]

    @Test("every scipy-written dataset file matches its expected values and shapes", arguments: datasetStems)
    func datasetFile(stem: String) throws {
        let json = WriteFixtures.json("mat/\(stem).json")
        let variables = try #require(json["variables"] as? [String: [String: Any]])
        let file = try MATFile(contentsOf: WriteFixtures.url("mat/\(stem).mat"))
        #expect(file.names == Array(variables.keys))
        for (name, info) in variables {
            let shape = try #require(info["logical_shape"] as? [Int])
            let array = try file.array(named: name)
            #expect(array.shape == shape)
            #expect(array.class == (info["dtype"] as? String == "float32" ? .single : .double))
            let f32 = WriteFixtures.float32s("mat/expected/\(stem).\(name).f32")
            #expect(array.floatValues == f32, "Float values of \(name) are exact")
            if let f64 = info["expected_f64"] as? String {
                #expect(array.values == WriteFixtures.float64s(f64), "Double values of \(name) are exact")
            }
            #expect(abs(array.values.reduce(0, +) - (info["sum"] as? Double ?? .nan)) < 1e-6 * max(1, abs(info["sum"] as? Double ?? 1)))
            if shape.count == 3 && shape[2] == 4 {
                let packed = try PackedImage(contentsOfMAT: WriteFixtures.url("mat/\(stem).mat"), variable: name)
                #expect(packed.height == shape[0] && packed.width == shape[1])
                #expect(packed.values == f32)
            }
        }
    }

    @Test("the compressed dataset file is read through zlib")
    func compressedFile() throws {
        let url = WriteFixtures.url("mat/raw_rggb_gbrg-10bit_f32_compressed.mat")
        let bytes = [UInt8](try Data(contentsOf: url))
        #expect(bytes[128] == 15, "the first element is miCOMPRESSED")
        let image = try PackedImage(contentsOfMAT: url)
        #expect(image.values == WriteFixtures.float32s("mat/expected/raw_rggb_gbrg-10bit_f32_compressed.raw_rggb.f32"))
    }

    @Test("a missing variable names the variables present")
    func missingVariable() throws {
        let url = WriteFixtures.url("mat/wrong_varname.mat")
        #expect(throws: RawIOError.missingVariable(path: url.path, name: "raw_rggb", available: ["raw_rgb"])) {
            try PackedImage(contentsOfMAT: url)
        }
        let error = RawIOError.missingVariable(path: url.path, name: "raw_rggb", available: ["raw_rgb"])
        #expect(error.description.contains("raw_rgb") && error.description.contains("wrong_varname.mat"))
        let image = try PackedImage(contentsOfMAT: url, variable: "raw_rgb")
        #expect(image.height == 8 && image.width == 8)
        #expect(image.values == WriteFixtures.float32s("mat/expected/wrong_varname.raw_rgb.f32"))
        let file = try MATFile(contentsOf: url)
        #expect(file["raw_rgb"] != nil && file["raw_rggb"] == nil)
    }

    @Test("the paper's mapping matrix reads as 64 row-major values; other shapes are refused by name")
    func mappingMatrix() throws {
        let m = try MATFile.readMappingMatrix(contentsOf: WriteFixtures.url("mat/mapping_matrix.mat"))
        #expect(m == WriteFixtures.float64s("mat/expected/mapping_matrix.mapping_matrix.f64"))
        let url = WriteFixtures.url("mat/raw_rggb_iphonex-like_f32.mat")
        #expect(throws: RawIOError.unsupportedFormat(path: url.path, reason: "variable 'raw_rggb' has shape 32x48x4, a mapping matrix must be 16x4")) {
            try MATFile.readMappingMatrix(contentsOf: url, variable: "raw_rggb")
        }
        let mapping = WriteFixtures.url("mat/mapping_matrix.mat")
        #expect(throws: RawIOError.unsupportedFormat(path: mapping.path, reason: "variable 'mapping_matrix' has shape 16x4, a packed raw image must be HxWx4")) {
            try PackedImage(contentsOfMAT: mapping, variable: "mapping_matrix")
        }
    }

    static let extraStems = ["mixed", "mixed_compressed", "handmade_le", "handmade_be"]

    static func matClass(scipyDtype: String) -> MATClass? {
        ["float64": .double, "float32": .single, "int8": .int8, "uint8": .uint8, "int16": .int16, "uint16": .uint16,
         "int32": .int32, "uint32": .uint32, "int64": .int64, "uint64": .uint64, "bool": .logical][scipyDtype]
    }

    @Test("every class, both byte orders, small and compact elements match scipy.io.loadmat", arguments: extraStems)
    func extraFile(stem: String) throws {
        let json = WriteFixtures.json("mat-extra/\(stem).json")
        let variables = try #require(json["variables"] as? [String: [String: Any]])
        let url = WriteFixtures.url("mat-extra/\(stem).mat")
        let file = try MATFile(contentsOf: url)
        #expect(Set(file.names) == Set(variables.keys))
        var readable: Set<String> = []
        for (name, info) in variables {
            let kind = try #require(info["kind"] as? String)
            let variable = try #require(file.variables.first { $0.name == name })
            if kind == "numeric" {
                readable.insert(name)
                let array = try file.array(named: name)
                #expect(array.shape == info["shape"] as? [Int], "shape of \(name)")
                #expect(array.values == WriteFixtures.doubles(info["values"]), "values of \(name)")
                #expect(array.class == Self.matClass(scipyDtype: info["class_dtype"] as? String ?? ""), "class of \(name)")
                #expect(variable.isReadable)
            } else {
                #expect(!variable.isReadable)
                let expectedClass: [String: MATClass] = ["char": .char, "object": .cell, "struct": .structure, "sparse": .sparse]
                if kind == "complex" {
                    #expect(variable.isComplex && variable.class == .double)
                } else {
                    #expect(variable.class == expectedClass[kind], "class of \(name)")
                }
                do {
                    _ = try file.array(named: name)
                    Issue.record("\(name) (\(kind)) should not be readable")
                } catch {
                    guard case .unsupportedFormat(let path, let reason) = error else { Issue.record("wrong error \(error)"); continue }
                    #expect(path == url.path && reason.contains("'\(name)'"))
                }
            }
        }
        #expect(Set(try MATFile.read(contentsOf: url).map(\.name)) == readable)
    }

    @Test("a packed image is found among unsupported variables, and a wrong shape is named")
    func packedAmongOthers() throws {
        let url = WriteFixtures.url("mat-extra/mixed_compressed.mat")
        let json = WriteFixtures.json("mat-extra/mixed_compressed.json")
        let raw = try #require((json["variables"] as? [String: [String: Any]])?["raw_rggb"])
        let image = try PackedImage(contentsOfMAT: url)
        #expect(image.height == 3 && image.width == 5)
        #expect(image.values.map(Double.init) == WriteFixtures.doubles(raw["values"]))
        #expect(throws: RawIOError.unsupportedFormat(path: url.path, reason: "variable 'four_d' has shape 2x3x4x5, a packed raw image must be HxWx4")) {
            try PackedImage(contentsOfMAT: url, variable: "four_d")
        }
        #expect(throws: RawIOError.unsupportedFormat(path: url.path, reason: "variable 'cellvar' is a cell array; only real numeric arrays can be read")) {
            try PackedImage(contentsOfMAT: url, variable: "cellvar")
        }
    }

    @Test("multi-index subscripts are row-major")
    func subscripts() throws {
        let a = try MATFile(contentsOf: WriteFixtures.url("mat-extra/mixed.mat")).array(named: "four_d")
        #expect(a.shape == [2, 3, 4, 5])
        #expect(a[1, 2, 3, 4] == 119 && a[0, 0, 1, 0] == 5 && a[1, 0, 0, 0] == 60)
    }
}

@Suite("MAT-file damage")
struct MATDamageTests {
    static func parse(_ bytes: [UInt8]) -> Result<MATFile, RawIOError> {
        do { return .success(try MATFile(bytes: bytes, path: "damaged.mat")) } catch { return .failure(error) }
    }

    static func load(_ relative: String) -> [UInt8] { [UInt8](WriteFixtures.data(relative)) }

    @Test("truncation anywhere gives a typed error",
          arguments: ["mat/raw_rggb_iphonex-like_f32.mat", "mat/raw_rggb_gbrg-10bit_f32_compressed.mat",
                      "mat/mapping_matrix.mat", "mat-extra/mixed.mat", "mat-extra/mixed_compressed.mat", "mat-extra/handmade_be.mat"])
    func truncation(file: String) throws {
        let bytes = Self.load(file)
        let full = try MATFile(bytes: bytes, path: "damaged.mat")
        // Element boundaries: a cut there leaves a valid, shorter file (MAT v5 keeps no variable count).
        let bigEndian = bytes[126] == UInt8(ascii: "M")
        func u32(_ o: Int) -> Int {
            let v = UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
            return Int(bigEndian ? v.byteSwapped : v)
        }
        var boundaries: Set<Int> = [128]
        var o = 128
        while o < bytes.count {
            o = u32(o) == 15 ? o + 8 + u32(o + 4) : o + 8 + (u32(o + 4) + 7) / 8 * 8
            boundaries.insert(o)
        }
        var cuts = [0, 1, 8, 100, 116, 126, 127, 129, 131, 135, 136, 140, 150, 200, 300, bytes.count / 2, bytes.count - 8, bytes.count - 4, bytes.count - 1]
        cuts += stride(from: 128, to: bytes.count, by: max(1, bytes.count / 40)).map { $0 }
        for cut in Set(cuts + Array(boundaries)) where cut < bytes.count {
            switch Self.parse(Array(bytes.prefix(cut))) {
            case .success(let file):
                #expect(boundaries.contains(cut), "\(file) cut at \(cut) of \(bytes.count) bytes was accepted")
                #expect(file.names.count < full.names.count && Array(full.names.prefix(file.names.count)) == file.names)
            case .failure(let error):
                #expect(!boundaries.contains(cut), "\(file): a cut at the element boundary \(cut) is a valid file")
                switch error {
                case .corrupt, .unsupportedFormat: break
                default: Issue.record("\(file) cut at \(cut): unexpected error \(error)")
                }
                #expect(error.path == "damaged.mat")
            }
        }
    }

    @Test("random byte flips never crash")
    func flips() {
        var rng = WriteTestRandom(seed: 99)
        var outcomes = (ok: 0, failed: 0)
        for file in ["mat/mapping_matrix.mat", "mat/raw_rggb_gbrg-10bit_f32_compressed.mat", "mat-extra/mixed.mat",
                     "mat-extra/mixed_compressed.mat", "mat-extra/handmade_le.mat", "mat-extra/handmade_be.mat"] {
            let original = Self.load(file)
            for _ in 0..<60 {
                var bytes = original
                for _ in 0..<rng.int(in: 1...4) {
                    // Flip within the first 600 bytes (tags, flags, dims, names) or anywhere.
                    let limit = rng.int(in: 0...1) == 0 ? min(600, bytes.count) : bytes.count
                    let i = rng.int(in: 0...(limit - 1))
                    bytes[i] ^= UInt8(1 << rng.int(in: 0...7))
                }
                switch Self.parse(bytes) {
                case .success(let file):
                    outcomes.ok += 1
                    _ = file.arrays()  // decoding what parsed must not crash either
                case .failure:
                    outcomes.failed += 1
                }
            }
        }
        #expect(outcomes.ok + outcomes.failed == 360)
        #expect(outcomes.failed > 0)
    }

    /// The file offset of the first top-level element's size field.
    static let firstSizeOffset = 132

    static func replacing(_ bytes: [UInt8], at offset: Int, with value: UInt32) -> [UInt8] {
        var b = bytes
        b.storeLE(at: offset, value)
        return b
    }

    static func expectCorrupt(_ bytes: [UInt8], _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        switch parse(bytes) {
        case .success: Issue.record("accepted", sourceLocation: sourceLocation)
        case .failure(let error):
            guard case .corrupt(_, let reason) = error else {
                Issue.record("expected .corrupt, got \(error)", sourceLocation: sourceLocation); return
            }
            #expect(reason.contains(fragment), "\(reason)", sourceLocation: sourceLocation)
        }
    }

    @Test("bogus sizes, dimensions, classes and types are reported as corrupt")
    func bogusFields() throws {
        let m = Self.load("mat/mapping_matrix.mat")
        // mapping_matrix.mat: element tag at 128; flags tag at 136, flags at 144; dims tag at 152,
        // dims at 160; name tag at 168; real part tag at 192.
        Self.expectCorrupt(Self.replacing(m, at: 132, with: 0xFFFF_FFF0), "declares 4294967280 bytes")
        Self.expectCorrupt(Self.replacing(m, at: 160, with: 0x7FFF_FFFF), "dimensions [2147483647, 4]")
        Self.expectCorrupt(Self.replacing(m, at: 160, with: 0xFFFF_FFFF), "negative dimension")
        Self.expectCorrupt(Self.replacing(m, at: 144, with: 99), "99 is not a MATLAB array class")
        Self.expectCorrupt(Self.replacing(m, at: 136, with: 5), "array flags")
        Self.expectCorrupt(Self.replacing(m, at: 156, with: 4), "dimensions must be at least two")
        Self.expectCorrupt(Self.replacing(m, at: 172, with: 0x1000), "name")
        Self.expectCorrupt(Self.replacing(m, at: 192, with: 14), "not a numeric type")
        Self.expectCorrupt(Self.replacing(m, at: 196, with: 8), "need 64 values")
        Self.expectCorrupt(Self.replacing(m, at: 192, with: 0x0009_0009), "small data element cannot hold 9 bytes")
    }

    @Test("hostile compressed elements are refused without inflating them")
    func hostileCompression() throws {
        func compressedFile(_ inner: [UInt8], declaredCompressedSize: UInt32? = nil) -> [UInt8] {
            var b = Array(Self.load("mat/mapping_matrix.mat").prefix(128))
            let z = try! Zlib.deflate(inner[...])
            b.appendLE(UInt32(15)); b.appendLE(declaredCompressedSize ?? UInt32(z.count))
            return b + z
        }
        // Claims a 4 GiB array in a few compressed bytes.
        var inner: [UInt8] = []
        inner.appendLE(UInt32(14)); inner.appendLE(UInt32(0xFFFF_FFF0))
        inner += [UInt8](repeating: 0, count: 64)
        Self.expectCorrupt(compressedFile(inner), "more than its")
        // Claims more than it holds, within the deflate ratio.
        var short: [UInt8] = []
        short.appendLE(UInt32(14)); short.appendLE(UInt32(4000))
        short += [UInt8](repeating: 0, count: 100)
        Self.expectCorrupt(compressedFile(short), "inflates to 108 bytes but its array declares 4008")
        // Not zlib data at all.
        var b = Array(Self.load("mat/mapping_matrix.mat").prefix(128))
        b.appendLE(UInt32(15)); b.appendLE(UInt32(16))
        b += [UInt8](repeating: 0xAB, count: 16)
        Self.expectCorrupt(b, "zlib")
        // A flipped byte inside the compressed stream of the dataset file: zlib or the checksum catches it.
        var c = Self.load("mat/raw_rggb_gbrg-10bit_f32_compressed.mat")
        c[c.count - 2] ^= 0x40  // inside the Adler-32 checksum
        Self.expectCorrupt(c, "zlib")
    }

    @Test("MAT v7.3, v4, HDF5 and non-MAT files are unsupported formats")
    func unsupported() throws {
        func expectUnsupported(_ bytes: [UInt8], _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
            switch Self.parse(bytes) {
            case .success: Issue.record("accepted", sourceLocation: sourceLocation)
            case .failure(let error):
                guard case .unsupportedFormat(let path, let reason) = error else {
                    Issue.record("expected .unsupportedFormat, got \(error)", sourceLocation: sourceLocation); return
                }
                #expect(path == "damaged.mat")
                #expect(reason.contains(fragment), "\(reason)", sourceLocation: sourceLocation)
            }
        }
        let hdf5: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
        // A v7.3 file: MATLAB text header, version 0x0200, HDF5 superblock at 512.
        var v73 = [UInt8]("MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 .".utf8)
        v73 += [UInt8](repeating: 0x20, count: 116 - v73.count) + [UInt8](repeating: 0, count: 8) + [0x00, 0x02, 0x49, 0x4D]
        v73 += [UInt8](repeating: 0, count: 512 - 128) + hdf5 + [UInt8](repeating: 0, count: 100)
        expectUnsupported(v73, "7.3")
        // Only the version field says 0x0200.
        var versioned = Self.load("mat/mapping_matrix.mat")
        versioned[124] = 0; versioned[125] = 2
        expectUnsupported(versioned, "7.3")
        // A bare HDF5 file, and the HDF5 signature at 512 without MATLAB text.
        expectUnsupported(hdf5 + [UInt8](repeating: 0, count: 600), "HDF5")
        expectUnsupported([UInt8](repeating: 0, count: 512) + hdf5 + [0, 0], "HDF5")
        // Unknown version, no endian indicator, MAT v4-like, text, empty.
        var unknown = Self.load("mat/mapping_matrix.mat")
        unknown[125] = 9
        expectUnsupported(unknown, "unknown MAT-file version 0x900")
        var noIndicator = Self.load("mat/mapping_matrix.mat")
        noIndicator[126] = 0x41
        expectUnsupported(noIndicator, "endian indicator")
        var v4: [UInt8] = []
        v4.appendLE(UInt32(0)); v4.appendLE(UInt32(2)); v4.appendLE(UInt32(2)); v4.appendLE(UInt32(0)); v4.appendLE(UInt32(2))
        v4 += Array("a\0".utf8) + [UInt8](repeating: 0, count: 32)
        expectUnsupported(v4, "not a MATLAB Level 5 MAT-file")
        expectUnsupported(Array(String(repeating: "hello world, not a mat file\n", count: 10).utf8), "not a MATLAB Level 5 MAT-file")
        expectUnsupported([], "not a MATLAB Level 5 MAT-file")
    }

    @Test("missing files, folders and files that are not MAT give typed errors naming the file")
    func fileErrors() throws {
        let folder = WriteTestFolder()
        defer { folder.remove() }
        let missing = folder.file("nope.mat")
        #expect(throws: RawIOError.fileNotFound(path: missing.path)) { try MATFile(contentsOf: missing) }
        #expect(throws: RawIOError.unreadable(path: folder.url.path, reason: "it is a directory")) { try MATFile(contentsOf: folder.url) }
        let dng = WriteFixtures.url("written/written-grbg-48x32.dng")
        do {
            _ = try PackedImage(contentsOfMAT: dng)
            Issue.record("a DNG read as MAT")
        } catch {
            guard case .unsupportedFormat(let path, _) = error else { Issue.record("wrong error \(error)"); return }
            #expect(path == dng.path)
        }
    }
}
