import Foundation
import RawIO
import Testing
@testable import Calibration

@Suite("JSON")
struct CodableTests {
    static func fitted(_ kind: ColorMapping.Kind) throws -> ColorMapping {
        let x = Fixture.pixels(Fixture.f64("lstsq_source.f64")), y = Fixture.pixels(Fixture.f64("lstsq_target.f64"))
        return try ColorMapping.fit(kind, sourcePatches: x, targetPatches: y,
                                    options: FitOptions(ridge: 1e-7, sampleBudget: 250, seed: 99))
    }

    @Test("JSON round trip is exact, statistics and options included", arguments: ColorMapping.Kind.allCases)
    func roundTrip(kind: ColorMapping.Kind) throws {
        let m = try Self.fitted(kind)
        let back = try ColorMapping(jsonData: m.jsonData())
        #expect(back == m)
        #expect(back.coefficients.map(\.bitPattern) == m.coefficients.map(\.bitPattern))
        #expect(back.statistics?.options == m.statistics?.options)
        // Also through JSONEncoder/JSONDecoder directly (Codable).
        let again = try JSONDecoder().decode(ColorMapping.self, from: JSONEncoder().encode(m))
        #expect(again == m)
    }

    @Test("the JSON is self-describing: kind, term names, a coefficient row per term")
    func layout() throws {
        let m = try ColorMapping(paperMappingMatrix: Fixture.f64("mapping_matrix.f64"))
        let obj = try JSONSerialization.jsonObject(with: m.jsonData()) as! [String: Any]
        #expect(obj["format"] as? String == "raw2raw.ColorMapping" && obj["version"] as? Int == 1)
        #expect(obj["kind"] as? String == "poly16")
        #expect((obj["terms"] as! [String]).last == "1" && (obj["terms"] as! [String])[14] == "r*gr*gb*b")
        #expect((obj["coefficients"] as! [[Double]]).count == 16 && (obj["coefficients"] as! [[Double]])[0] == [0.92, 0.03, 0.02, 0.01])
        #expect(obj["outputs"] as? [String] == ["R", "Gr", "Gb", "B"])
        #expect(obj["statistics"] == nil)
    }

    @Test("write and read a file; bad files give typed errors naming the file")
    func files() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("calib-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("mapping.json")
        let m = try Self.fitted(.rootPolynomial2)
        try m.write(to: url)
        try m.write(to: url)  // overwriting works
        #expect(try ColorMapping(contentsOf: url) == m)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["mapping.json"])

        func expectInvalid(_ text: String, _ fragment: String) {
            let bad = dir.appendingPathComponent("bad.json")
            try! Data(text.utf8).write(to: bad)
            do {
                _ = try ColorMapping(contentsOf: bad)
                Issue.record("accepted \(text)")
            } catch {
                guard case .invalidMappingFile(let path, let reason) = error else { Issue.record("\(error)"); return }
                #expect(path == bad.path)
                #expect(reason.contains(fragment), "\(reason)")
            }
        }
        let good = String(decoding: m.jsonData(), as: UTF8.self)
        expectInvalid("{", "not valid JSON")
        expectInvalid("[]", "Expected to decode")
        expectInvalid(good.replacingOccurrences(of: "\"rootpoly2\"", with: "\"rootpoly9\""), "unknown kind")
        expectInvalid(good.replacingOccurrences(of: "sqrt(r*gr)", with: "sqrt(r*gb)"), "terms")
        expectInvalid(good.replacingOccurrences(of: "raw2raw.ColorMapping", with: "other"), "format")
        expectInvalid(good.replacingOccurrences(of: "\"version\" : 1", with: "\"version\" : 7"), "version 7")
        let obj = try JSONSerialization.jsonObject(with: m.jsonData()) as! [String: Any]
        var short = obj; short["coefficients"] = Array((obj["coefficients"] as! [[Double]]).dropLast())
        expectInvalid(String(decoding: try JSONSerialization.data(withJSONObject: short), as: UTF8.self), "coefficients")
        var noKind = obj; noKind["kind"] = nil
        expectInvalid(String(decoding: try JSONSerialization.data(withJSONObject: noKind), as: UTF8.self), "missing field 'kind'")
        #expect(throws: CalibrationError.invalidMappingFile(path: dir.appendingPathComponent("none.json").path, reason: "no such file")) {
            try ColorMapping(contentsOf: dir.appendingPathComponent("none.json"))
        }
        #expect(throws: CalibrationError.self) { try m.write(to: dir.appendingPathComponent("missing/sub/m.json")) }
    }

    @Test("description lists the terms and the statistics")
    func description() throws {
        let text = try Self.fitted(.affine).description
        #expect(text.contains("affine") && text.contains("rank 5") && text.contains("250 used of 300"))
    }
}
