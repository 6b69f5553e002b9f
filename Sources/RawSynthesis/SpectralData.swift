import Foundation

/// Why the measured spectra could not be loaded.
///
/// Every case names the file; ``description`` is a sentence a person can act on.
public enum SpectralDataError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The resource folder or one of its files does not exist.
    case missingFile(path: String)
    /// The file exists but could not be read as UTF-8 text.
    case unreadable(path: String, reason: String)
    /// The file is not the expected CSV table (bad header, wrong row count, wrong wavelength, non-number...).
    case malformed(path: String, line: Int, reason: String)
    /// A column the simulator needs is not in the file.
    case missingColumn(path: String, column: String, available: [String])

    /// The file the error is about.
    public var path: String {
        switch self {
        case .missingFile(let p), .unreadable(let p, _), .malformed(let p, _, _), .missingColumn(let p, _, _): return p
        }
    }

    /// A one-line message naming the file and what was wrong.
    public var description: String {
        switch self {
        case .missingFile(let p): return "\(p): spectral data file not found"
        case .unreadable(let p, let r): return "\(p): cannot read the spectral data file (\(r))"
        case .malformed(let p, let l, let r): return "\(p), line \(l): malformed spectral table (\(r))"
        case .missingColumn(let p, let c, let a):
            return "\(p): no column '\(c)' (the file has: \(a.joined(separator: ", ")))"
        }
    }
}

/// The measured spectra the simulator is built on, on the 400...700 nm, 10 nm grid of ``Spectrum``.
///
/// Shipped as package resources (`Resources/spectral`, exported from colour-science 0.4.7; see the
/// `README.md` and `NOTICE` there for sources and attribution):
/// - camera sensitivities of the Nikon D5100 and the Sigma SD Merrill (Darrodi et al. 2015, NPL),
/// - the CIE 1931 2° colour matching functions,
/// - ten illuminants (A, D50, D65, D75, FL2, FL7, FL11, LED-B3, LED-B5, LED-RGB1), each 1 at 560 nm,
/// - 41 more CIE lights (``extendedIlluminants``: FL1...FL12, FL3.1...FL3.15, HP1...HP5, LED-*), 1 at 560 nm,
/// - the 24 ColorChecker reflectances (BabelColor average) and the 190 rawtoaces training reflectances.
///
/// Load it once with ``bundled()`` (cached) or from any folder with the same six CSV files with
/// ``init(directory:)``. Besides the tabulated lights, ``illuminant(named:)`` computes blackbodies
/// (`blackbody-3200`) and CIE daylights (`daylight-5500`) at any temperature (see ``LightName``).
public struct SpectralData: Sendable, Equatable {
    /// The file names of the six tables.
    public static let fileNames = ["cameras.csv", "cmf_cie1931_2deg.csv", "illuminants.csv",
                                   "reflectances_colorchecker.csv", "reflectances_training.csv",
                                   "illuminants_extended.csv"]
    /// The illuminant names the simulator expects, in table order.
    public static let illuminantNames = ["A", "D50", "D65", "D75", "FL2", "FL7", "FL11", "LED-B3", "LED-B5", "LED-RGB1"]

    /// Nikon D5100 sensitivities (the `nikon5100_*` columns).
    public var nikon5100: CameraSensitivities
    /// Sigma SD Merrill (Foveon layer) sensitivities (the `sigma_sdmerill_*` columns), used as Bayer filters.
    public var sigmaSDMerrill: CameraSensitivities
    /// CIE 1931 2° colour matching functions x̄, ȳ, z̄.
    public var colorMatchingFunctions: (x: Spectrum, y: Spectrum, z: Spectrum)
    /// The illuminants, in table order (see ``illuminantNames``).
    public var illuminants: [Illuminant]
    /// The 41 lights of `illuminants_extended.csv`, in table order (CIE FL*, HP* and LED-*; six of
    /// them, e.g. FL2 and LED-B3, repeat lights of ``illuminants`` with identical values).
    public var extendedIlluminants: [Illuminant]
    /// The 24 ColorChecker reflectances in chart order (patch 1 = dark skin, 19 = white).
    public var colorChecker: [NamedSpectrum]
    /// The 190 training reflectances `r000` ... `r189`.
    public var trainingReflectances: [NamedSpectrum]

    /// Compares every table.
    public static func == (a: SpectralData, b: SpectralData) -> Bool {
        a.nikon5100 == b.nikon5100 && a.sigmaSDMerrill == b.sigmaSDMerrill
            && a.colorMatchingFunctions.x == b.colorMatchingFunctions.x
            && a.colorMatchingFunctions.y == b.colorMatchingFunctions.y
            && a.colorMatchingFunctions.z == b.colorMatchingFunctions.z
            && a.illuminants == b.illuminants && a.extendedIlluminants == b.extendedIlluminants
            && a.colorChecker == b.colorChecker
            && a.trainingReflectances == b.trainingReflectances
    }

    /// Every measured reflectance: the ColorChecker patches followed by the training set (214 spectra).
    public var allReflectances: [NamedSpectrum] { colorChecker + trainingReflectances }

    /// The two measured camera sensitivity sets.
    public var cameraSensitivities: [CameraSensitivities] { [nikon5100, sigmaSDMerrill] }

    /// Every tabulated light, one per name: ``illuminants`` followed by the ``extendedIlluminants``
    /// whose names are not among them (45 lights).
    public var tabulatedIlluminants: [Illuminant] {
        let known = Set(illuminants.map(\.name))
        return illuminants + extendedIlluminants.filter { !known.contains($0.name) }
    }

    /// The light called `name`, or `nil` if there is none (see ``resolveIlluminant(named:)`` for the reason).
    ///
    /// Resolves every tabulated name (``tabulatedIlluminants``) and the parametric lights
    /// `blackbody-<kelvin>` and `daylight-<kelvin>` (see ``LightName``).
    public func illuminant(named name: String) -> Illuminant? {
        try? resolveIlluminant(named: name)
    }

    /// The reflectance (ColorChecker or training) called `name`, or `nil`.
    public func reflectance(named name: String) -> NamedSpectrum? {
        colorChecker.first { $0.name == name } ?? trainingReflectances.first { $0.name == name }
    }

    /// CIE 1931 XYZ of `reflectance` under `illuminant` (plain sums over the 31 samples, not normalised).
    public func xyz(reflectance: Spectrum, illuminant: Spectrum) -> SIMD3<Double> {
        let stimulus = reflectance * illuminant
        return SIMD3(colorMatchingFunctions.x.dot(stimulus), colorMatchingFunctions.y.dot(stimulus),
                     colorMatchingFunctions.z.dot(stimulus))
    }

    /// The measured spectra shipped with the module, loaded once and cached.
    ///
    /// - Throws: ``SpectralDataError`` if a resource is missing or corrupt (a packaging error).
    public static func bundled() throws(SpectralDataError) -> SpectralData {
        try bundledResult.get()
    }

    /// The folder of the shipped tables (with their `README.md` and `NOTICE`), or `nil` if the
    /// resource bundle is missing.
    public static var bundledDirectory: URL? {
        Bundle.module.url(forResource: "spectral", withExtension: nil)
    }

    private static let bundledResult: Result<SpectralData, SpectralDataError> = {
        guard let dir = bundledDirectory else {
            return .failure(.missingFile(path: Bundle.module.bundleURL.appendingPathComponent("spectral").path))
        }
        do throws(SpectralDataError) {
            return .success(try SpectralData(directory: dir))
        } catch {
            return .failure(error)
        }
    }()

    /// Loads the six CSV tables (see ``fileNames``) from `directory`.
    ///
    /// Each file must have a header row starting with `wavelength_nm` and exactly 31 data rows at
    /// 400, 410, ..., 700 nm, with finite numbers in every column.
    /// - Throws: ``SpectralDataError`` naming the file (and line) that is missing or malformed.
    public init(directory: URL) throws(SpectralDataError) {
        func load(_ name: String) throws(SpectralDataError) -> SpectralTable {
            try SpectralTable(url: directory.appendingPathComponent(name))
        }
        let cams = try load("cameras.csv")
        nikon5100 = CameraSensitivities(name: "nikon5100", red: try cams.column("nikon5100_r"),
                                        green: try cams.column("nikon5100_g"), blue: try cams.column("nikon5100_b"))
        sigmaSDMerrill = CameraSensitivities(name: "sigma_sdmerrill", red: try cams.column("sigma_sdmerill_r"),
                                             green: try cams.column("sigma_sdmerill_g"),
                                             blue: try cams.column("sigma_sdmerill_b"))
        let cmf = try load("cmf_cie1931_2deg.csv")
        colorMatchingFunctions = (try cmf.column("x_bar"), try cmf.column("y_bar"), try cmf.column("z_bar"))
        let ill = try load("illuminants.csv")
        var illuminants: [Illuminant] = []
        for name in SpectralData.illuminantNames {
            illuminants.append(Illuminant(name: name, spectrum: try ill.column(name)))
        }
        self.illuminants = illuminants
        let extended = try load("illuminants_extended.csv")
        guard extended.names.count == 41 else {
            throw .malformed(path: extended.path, line: 1, reason: "expected 41 extended illuminant columns, found \(extended.names.count)")
        }
        extendedIlluminants = extended.named.map { Illuminant(name: $0.name, spectrum: $0.spectrum) }
        let cc = try load("reflectances_colorchecker.csv")
        guard cc.names.count == 24 else {
            throw .malformed(path: cc.path, line: 1, reason: "expected 24 ColorChecker columns, found \(cc.names.count)")
        }
        colorChecker = cc.named
        let tr = try load("reflectances_training.csv")
        guard tr.names.count == 190 else {
            throw .malformed(path: tr.path, line: 1, reason: "expected 190 training reflectance columns, found \(tr.names.count)")
        }
        trainingReflectances = tr.named
    }
}

/// One parsed CSV table: a wavelength column on the ``Spectrum`` grid and named spectral columns.
struct SpectralTable {
    let path: String
    let names: [String]
    let columns: [Spectrum]

    var named: [NamedSpectrum] { zip(names, columns).map { NamedSpectrum(name: $0, spectrum: $1) } }

    func column(_ name: String) throws(SpectralDataError) -> Spectrum {
        guard let i = names.firstIndex(of: name) else {
            throw .missingColumn(path: path, column: name, available: names)
        }
        return columns[i]
    }

    init(url: URL) throws(SpectralDataError) {
        let path = url.path
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else { throw .missingFile(path: path) }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .unreadable(path: path, reason: error.localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .unreadable(path: path, reason: "not UTF-8 text")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? $0.dropLast() : $0
        }
        while let last = lines.last, last.allSatisfy({ $0 == " " }) { lines.removeLast() }
        guard let header = lines.first else { throw .malformed(path: path, line: 1, reason: "the file is empty") }
        let headerFields = header.split(separator: ",", omittingEmptySubsequences: false).map {
            String($0).trimmingCharacters(in: .whitespaces)
        }
        guard headerFields.first == "wavelength_nm", headerFields.count >= 2 else {
            throw .malformed(path: path, line: 1, reason: "the header must start with 'wavelength_nm' followed by column names")
        }
        let names = Array(headerFields.dropFirst())
        guard lines.count - 1 == Spectrum.count else {
            throw .malformed(path: path, line: lines.count,
                             reason: "expected \(Spectrum.count) data rows (400...700 nm, 10 nm steps), found \(lines.count - 1)")
        }
        var cols = [[Double]](repeating: [], count: names.count)
        for r in 0..<Spectrum.count {
            let lineNumber = r + 2
            let fields = lines[r + 1].split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == names.count + 1 else {
                throw .malformed(path: path, line: lineNumber,
                                 reason: "expected \(names.count + 1) fields, found \(fields.count)")
            }
            let expected = Spectrum.wavelengths[r]
            guard let wl = Double(fields[0].trimmingCharacters(in: .whitespaces)), wl == expected else {
                throw .malformed(path: path, line: lineNumber,
                                 reason: "wavelength '\(fields[0])' where \(Int(expected)) nm was expected")
            }
            for c in 0..<names.count {
                guard let v = Double(fields[c + 1].trimmingCharacters(in: .whitespaces)), v.isFinite else {
                    throw .malformed(path: path, line: lineNumber,
                                     reason: "column '\(names[c])' holds '\(fields[c + 1])', not a finite number")
                }
                cols[c].append(v)
            }
        }
        self.names = names
        self.columns = cols.map { Spectrum($0) }
    }
}
