import Foundation
import Testing
@testable import RawTensor

@Suite("Safetensors")
struct SafeTensorsTests {
    static let fixture = Bundle.module.url(forResource: "small", withExtension: "safetensors", subdirectory: "Fixtures")!
    static let expectations = Bundle.module.url(forResource: "small", withExtension: "json", subdirectory: "Fixtures")!

    @Test("a file written by Python's safetensors reads correctly")
    func pythonFixture() throws {
        let file = try SafeTensors(contentsOf: Self.fixture)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.expectations)) as! [String: Any]
        let expected = json["tensors"] as! [String: [String: Any]]
        #expect(Set(file.tensors.keys) == Set(expected.keys))
        for (name, info) in expected {
            let t = try #require(file.tensors[name])
            #expect(t.shape == (info["shape"] as! [Int]), "\(name)")
            #expect(abs(t.sumDouble() - (info["sum"] as! Double)) < 1e-4, "\(name)")
            let first = info["first"] as! [Double]
            for (i, v) in first.enumerated() { #expect(t.scalars[i] == Float(v), "\(name)[\(i)]") }
        }
        #expect(file.dataTypes["step"] == .int64 && file.dataTypes["scalar"] == .float32)
        #expect(file.tensors["step"]!.item == 1234 && file.tensors["scalar"]!.rank == 0)
        #expect(file.metadata == ["format": "pt", "note": "written by python safetensors"])
    }

    @Test("write then read gives the same tensors, and the layout Python expects")
    func roundTrip() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rawtensor-st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var g = SeededGenerator(seed: 1)
        let tensors = ["b.weight": Tensor.randomNormal([3, 2, 1, 1], using: &g), "a \"odd\" name": Tensor(2.5),
                       "empty": Tensor.zeros([0, 3])]
        let url = folder.appendingPathComponent("t.safetensors")
        try SafeTensors(tensors, metadata: ["k": "v"]).write(to: url)
        try SafeTensors(tensors, metadata: ["k": "w"]).write(to: url)   // overwrite atomically
        let back = try SafeTensors(contentsOf: url)
        #expect(back.tensors == tensors && back.metadata == ["k": "w"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["t.safetensors"])
        let bytes = [UInt8](try Data(contentsOf: url))
        let n = Int(bytes[0]) | Int(bytes[1]) << 8
        #expect(n % 8 == 0 && bytes[8] == UInt8(ascii: "{"))
        // Re-encoding the Python fixture's tensors is stable.
        let fixture = try SafeTensors(contentsOf: Self.fixture)
        #expect(try SafeTensors(data: SafeTensors(fixture.tensors).encoded()).tensors == fixture.tensors)
    }

    @Test("half, bfloat16, double and integer types convert to Float")
    func dataTypes() throws {
        func file(_ dtype: String, _ shape: [Int], _ payload: [UInt8]) -> Data {
            let header = "{\"x\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":[0,\(payload.count)]}}"
            var out = [UInt8]()
            withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { out += $0 }
            return Data(out + Array(header.utf8) + payload)
        }
        #expect(try SafeTensors(data: file("F16", [3], [0x00, 0x3C, 0x00, 0xC0, 0x01, 0x00])).tensors["x"]!.scalars == [1, -2, 5.9604645e-08])
        #expect(try SafeTensors(data: file("BF16", [1], [0x80, 0x3F])).tensors["x"]!.scalars == [1])
        #expect(try SafeTensors(data: file("F64", [1], [0, 0, 0, 0, 0, 0, 0xF8, 0x3F])).tensors["x"]!.scalars == [1.5])
        #expect(try SafeTensors(data: file("I32", [1], [0xFE, 0xFF, 0xFF, 0xFF])).tensors["x"]!.scalars == [-2])
        #expect(try SafeTensors(data: file("U8", [2], [7, 255])).tensors["x"]!.scalars == [7, 255])
        #expect(throws: TensorIOError.unsupportedDataType(path: "<memory>", name: "x", dataType: "C64")) {
            try SafeTensors(data: file("C64", [1], [0, 0, 0, 0, 0, 0, 0, 0]))
        }
    }

    @Test("truncated or corrupt files give a typed error naming the file")
    func corrupt() throws {
        let good = [UInt8](try Data(contentsOf: Self.fixture))
        var cases: [(String, [UInt8])] = [
            ("empty", []),
            ("short", Array(good.prefix(5))),
            ("truncated data", Array(good.dropLast(10))),
            ("truncated header", Array(good.prefix(40))),
            ("trailing bytes", good + [0, 0, 0, 0]),
        ]
        var badLength = good
        badLength[7] = 0x7F
        cases.append(("huge header length", badLength))
        var badJSON = good
        badJSON[20] = UInt8(ascii: "}")
        cases.append(("broken JSON", badJSON))
        for (label, bytes) in cases {
            do {
                _ = try SafeTensors(data: Data(bytes), path: "/x/\(label).safetensors")
                Issue.record("\(label): no error")
            } catch {
                #expect(error.path == "/x/\(label).safetensors")
                if case .corrupt = error {} else { Issue.record("\(label): \(error)") }
            }
        }
        let missing = URL(fileURLWithPath: "/nonexistent/file.safetensors")
        #expect(throws: TensorIOError.fileNotFound(path: missing.path)) { try SafeTensors(contentsOf: missing) }
        #expect(throws: TensorIOError.self) {
            try SafeTensors([:]).write(to: URL(fileURLWithPath: "/nonexistent/dir/out.safetensors"))
        }
    }
}
