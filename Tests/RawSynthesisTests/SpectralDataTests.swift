import Foundation
import Testing
@testable import RawSynthesis

@Suite struct SpectralDataTests {
    @Test func bundledTablesHaveTheDocumentedShapes() throws {
        let data = try SpectralData.bundled()
        #expect(Spectrum.wavelengths.count == 31)
        #expect(Spectrum.wavelengths.first == 400 && Spectrum.wavelengths.last == 700)
        #expect(data.illuminants.map(\.name) == SpectralData.illuminantNames)
        #expect(data.colorChecker.count == 24)
        #expect(data.trainingReflectances.count == 190)
        #expect(data.trainingReflectances.first?.name == "r000" && data.trainingReflectances.last?.name == "r189")
        #expect(data.colorChecker[18].name == "white_9_5_05_d")
        #expect(data.allReflectances.count == 214)
        let dir = try #require(SpectralData.bundledDirectory)
        for f in SpectralData.fileNames + ["README.md", "NOTICE"] {
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(f).path), "\(f)")
        }
    }

    @Test func aFewValuesMatchTheCSVFiles() throws {
        let data = try SpectralData.bundled()
        // cameras.csv, rows 400 and 410 nm
        #expect(data.nikon5100.red[0] == 0 && data.nikon5100.blue[0] == 0.00153246)
        #expect(data.nikon5100.red[1] == 0.00292397)
        #expect(data.sigmaSDMerrill.blue[0] == 0.16215942 && data.sigmaSDMerrill.green[1] == 0.0097618)
        // Per-camera maxima (README: the common factor makes the largest value exactly 1).
        #expect(max(data.nikon5100.red.maximum, data.nikon5100.green.maximum, data.nikon5100.blue.maximum) == 1)
        #expect(abs(data.nikon5100.red.maximum - 0.9810) < 5e-5)
        // Sigma's 690 and 700 nm rows are copies of 680 nm.
        #expect(data.sigmaSDMerrill.red[29] == data.sigmaSDMerrill.red[28] && data.sigmaSDMerrill.red[30] == data.sigmaSDMerrill.red[28])
        // CMF: y_bar is 0.995 at 560 nm (index 16).
        #expect(data.colorMatchingFunctions.y[16] == 0.995)
        #expect(data.colorMatchingFunctions.x[0] == 0.01431)
        // Illuminants are 1 at 560 nm.
        for i in data.illuminants { #expect(abs(i.spectrum[16] - 1) < 1e-7, "\(i.name)") }
        #expect(data.illuminant(named: "A")?.spectrum[0] == 0.14708)
        #expect(data.reflectance(named: "dark_skin")?.spectrum[0] == 0.061)
        #expect(data.reflectance(named: "r000")?.spectrum[0] == 0.0299)
        #expect(data.illuminant(named: "D65")?.exifLightSource == 21)
        #expect(data.illuminant(named: "LED-B3")?.exifLightSource == nil)
    }

    @Test func chromaticityOfD65MatchesTheReadme() throws {
        let data = try SpectralData.bundled()
        let d65 = data.illuminant(named: "D65")!.spectrum
        let white = data.xyz(reflectance: data.colorChecker[18].spectrum, illuminant: d65)
        let perfect = data.xyz(reflectance: .constant(1), illuminant: d65)
        let xyW = SIMD2(white.x, white.y) / white.sum(), xyP = SIMD2(perfect.x, perfect.y) / perfect.sum()
        #expect(abs(xyW.x - SpectralReference.xyD65White[0]) < 1e-12 && abs(xyW.y - SpectralReference.xyD65White[1]) < 1e-12)
        #expect(abs(xyP.x - SpectralReference.xyD65Perfect[0]) < 1e-12 && abs(xyP.y - SpectralReference.xyD65Perfect[1]) < 1e-12)
        // README table, 4 decimals.
        #expect(abs(xyW.x - 0.3159) < 5e-5 && abs(xyW.y - 0.3345) < 5e-5)
        #expect(abs(xyP.x - 0.3127) < 5e-5 && abs(xyP.y - 0.3293) < 5e-5)
    }

    /// Copies the bundled tables into a temporary folder, lets `corrupt` damage it, and loads it.
    private func loadCorrupted(_ corrupt: (URL) throws -> Void) throws -> Result<SpectralData, SpectralDataError> {
        let src = try #require(SpectralData.bundledDirectory)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spectral-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for f in SpectralData.fileNames {
            try FileManager.default.copyItem(at: src.appendingPathComponent(f), to: dir.appendingPathComponent(f))
        }
        try corrupt(dir)
        do throws(SpectralDataError) {
            return .success(try SpectralData(directory: dir))
        } catch {
            return .failure(error)
        }
    }

    private func edit(_ url: URL, _ change: (String) -> String) throws {
        let text = try String(contentsOf: url, encoding: .utf8)
        try change(text).write(to: url, atomically: true, encoding: .utf8)
    }

    @Test func anUndamagedCopyLoadsIdentically() throws {
        let r = try loadCorrupted { _ in }
        #expect(try r.get() == SpectralData.bundled())
    }

    @Test func aMissingFileIsNamed() throws {
        let r = try loadCorrupted { try FileManager.default.removeItem(at: $0.appendingPathComponent("illuminants.csv")) }
        guard case .failure(.missingFile(let path)) = r else { Issue.record("expected missingFile, got \(r)"); return }
        #expect(path.hasSuffix("illuminants.csv"))
    }

    @Test func aTruncatedTableIsRejectedWithItsLine() throws {
        let r = try loadCorrupted { dir in
            try edit(dir.appendingPathComponent("cameras.csv")) { $0.split(separator: "\n").dropLast(3).joined(separator: "\n") + "\n" }
        }
        guard case .failure(.malformed(let path, _, let reason)) = r else { Issue.record("expected malformed, got \(r)"); return }
        #expect(path.hasSuffix("cameras.csv"))
        #expect(reason.contains("31 data rows"))
    }

    @Test func aNonNumberIsRejectedWithItsLineAndColumn() throws {
        let r = try loadCorrupted { dir in
            try edit(dir.appendingPathComponent("reflectances_training.csv")) { $0.replacingOccurrences(of: "410,0.0237,", with: "410,abc,") }
        }
        guard case .failure(.malformed(let path, let line, let reason)) = r else { Issue.record("expected malformed, got \(r)"); return }
        #expect(path.hasSuffix("reflectances_training.csv"))
        #expect(line == 3)
        #expect(reason.contains("r000") && reason.contains("abc"))
        #expect(r.description.contains("line 3"))
    }

    @Test func aWrongWavelengthIsRejected() throws {
        let r = try loadCorrupted { dir in
            try edit(dir.appendingPathComponent("cmf_cie1931_2deg.csv")) { $0.replacingOccurrences(of: "\n500,", with: "\n505,") }
        }
        guard case .failure(.malformed(_, let line, let reason)) = r else { Issue.record("expected malformed, got \(r)"); return }
        #expect(line == 12)
        #expect(reason.contains("500 nm"))
    }

    @Test func aMissingColumnIsNamed() throws {
        let r = try loadCorrupted { dir in
            try edit(dir.appendingPathComponent("illuminants.csv")) { $0.replacingOccurrences(of: ",FL11,", with: ",FL12,") }
        }
        guard case .failure(.missingColumn(let path, let column, let available)) = r else { Issue.record("expected missingColumn, got \(r)"); return }
        #expect(path.hasSuffix("illuminants.csv") && column == "FL11" && available.contains("FL12"))
    }

    @Test func aMissingFolderIsAnError() {
        #expect(throws: SpectralDataError.self) {
            try SpectralData(directory: URL(fileURLWithPath: "/nonexistent/spectral"))
        }
    }
}

private extension Result where Failure == SpectralDataError {
    var description: String {
        switch self {
        case .success: return "success"
        case .failure(let e): return e.description
        }
    }
}
