import Foundation
import RawIO

/// Why a camera specification could not be parsed or applied; every case names the field.
public enum CameraSpecificationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A comma-separated part is not `key=value`.
    case malformedField(String)
    /// The key is not one of ``CameraSpecification/fieldNames``.
    case unknownField(String)
    /// The key appears twice.
    case duplicateField(String)
    /// The value cannot be used for the field.
    case invalidValue(field: String, value: String, reason: String)
    /// The fields do not fit together (or with the base camera), e.g. a black level at or above the white level.
    case inconsistent(field: String, reason: String)

    /// The field the error is about.
    public var field: String {
        switch self {
        case .malformedField(let f), .unknownField(let f), .duplicateField(let f): return f
        case .invalidValue(let f, _, _), .inconsistent(let f, _): return f
        }
    }

    /// A one-line message naming the field and what was wrong.
    public var description: String {
        switch self {
        case .malformedField(let f): return "camera specification: '\(f)' is not key=value"
        case .unknownField(let f):
            return "camera specification: unknown field '\(f)' (known: \(CameraSpecification.fieldNames.joined(separator: ", ")))"
        case .duplicateField(let f): return "camera specification: field '\(f)' is given twice"
        case .invalidValue(let f, let v, let r): return "camera specification: field '\(f)': '\(v)' is not valid (\(r))"
        case .inconsistent(let f, let r): return "camera specification: field '\(f)': \(r)"
        }
    }
}

/// How a ``CameraSpecification`` sets the exposure: one of the metering modes of ``AutoExposure``, or fixed.
public enum ExposureRule: String, Sendable, Equatable, Codable, CaseIterable {
    /// Auto-exposure on a percentile of the per-pixel largest channel.
    case percentile
    /// Auto-exposure on the mean of all channels.
    case mean
    /// Auto-exposure on the centre-weighted mean of all channels.
    case centreWeighted = "centre-weighted"
    /// A fixed exposure (``ExposureControl/fixed(_:)``) of the specification's `target`.
    case fixed

    /// The metering of an automatic rule, `nil` for ``fixed``.
    public var metering: ExposureMetering? {
        switch self {
        case .percentile: return .maximumPercentile
        case .mean: return .mean
        case .centreWeighted: return .centreWeighted
        case .fixed: return nil
        }
    }
}

/// Changes to a simulated camera, with a compact text form for command lines.
///
/// The text form is comma-separated `key=value` fields, any subset, in any order:
///
/// ```
/// name=cam1,sensor=gaussian-ircut@3,pattern=grbg,bits=10,black=64,white=1023,
/// exposure=mean,target=0.2,percentile=0.98,jitter=0.2,electrons=6000,read=1.5
/// ```
///
/// - `name`: the folder name; `sensor`: a ``SensorSpecification`` (`family` or `family@seed`);
/// - `pattern`: `rggb`, `grbg`, `gbrg` or `bggr`; `bits`: 1...16; `black`, `white`: levels in DN
///   (giving `bits` without `white` sets the white level to `2^bits - 1`);
/// - `exposure`: `percentile`, `mean`, `centre-weighted` (or `center-weighted`) or `fixed`;
///   `target`: the metered level as a fraction of the range (0.85 for `percentile`, 0.2 for the
///   means unless given), or the exposure itself for `fixed` (required then); `percentile`: the
///   metered percentile (0...1]; `jitter`: per-capture randomness in stops;
/// - `electrons`: shot-noise electrons at white (0 for no shot noise); `read`: read noise in DN.
///
/// Unspecified fields keep the base camera's settings (``camera(basedOn:data:)``). Parse with
/// ``init(parsing:)``; ``description`` gives the text form back.
public struct CameraSpecification: Sendable, Equatable, Codable, CustomStringConvertible {
    /// The keys of the text form, in the order ``description`` writes them.
    public static let fieldNames = ["name", "sensor", "pattern", "bits", "black", "white", "exposure", "target",
                                    "percentile", "jitter", "electrons", "read"]

    /// The camera's (folder) name.
    public var name: String?
    /// The sensitivities.
    public var sensor: SensorSpecification?
    /// The CFA phase.
    public var pattern: CFAPattern?
    /// The bit depth.
    public var bitDepth: Int?
    /// The black level, in DN.
    public var blackLevel: Int?
    /// The white level, in DN.
    public var whiteLevel: Int?
    /// The exposure rule.
    public var exposure: ExposureRule?
    /// The metered target (automatic rules) or the exposure (fixed).
    public var target: Double?
    /// The metered percentile of the largest channel.
    public var percentile: Double?
    /// The per-capture exposure jitter, in stops.
    public var jitterStops: Double?
    /// Shot-noise electrons at white (0: no shot noise).
    public var electronsAtWhite: Double?
    /// Read noise, in DN.
    public var readNoise: Double?

    /// Creates a specification; every field left `nil` keeps the base camera's setting.
    public init(name: String? = nil, sensor: SensorSpecification? = nil, pattern: CFAPattern? = nil, bitDepth: Int? = nil,
                blackLevel: Int? = nil, whiteLevel: Int? = nil, exposure: ExposureRule? = nil, target: Double? = nil,
                percentile: Double? = nil, jitterStops: Double? = nil, electronsAtWhite: Double? = nil,
                readNoise: Double? = nil) {
        self.name = name
        self.sensor = sensor
        self.pattern = pattern
        self.bitDepth = bitDepth
        self.blackLevel = blackLevel
        self.whiteLevel = whiteLevel
        self.exposure = exposure
        self.target = target
        self.percentile = percentile
        self.jitterStops = jitterStops
        self.electronsAtWhite = electronsAtWhite
        self.readNoise = readNoise
    }

    /// Parses the text form (see the type's documentation); an empty string changes nothing.
    ///
    /// - Throws: ``CameraSpecificationError`` naming the first bad field.
    public init(parsing text: String) throws(CameraSpecificationError) {
        self.init()
        var seen: Set<String> = []
        for part in text.split(separator: ",") {
            let field = part.trimmingCharacters(in: .whitespaces)
            if field.isEmpty { continue }
            guard let eq = field.firstIndex(of: "=") else { throw .malformedField(field) }
            let key = field[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            let value = field[field.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            guard Self.fieldNames.contains(key) else { throw .unknownField(key) }
            guard seen.insert(key).inserted else { throw .duplicateField(key) }
            func bad(_ reason: String) -> CameraSpecificationError { .invalidValue(field: key, value: value, reason: reason) }
            func number(_ check: (Double) -> Bool, _ reason: String) throws(CameraSpecificationError) -> Double {
                guard let v = Double(value), v.isFinite, check(v) else { throw bad(reason) }
                return v
            }
            func integer(_ range: ClosedRange<Int>) throws(CameraSpecificationError) -> Int {
                guard let v = Int(value), range.contains(v) else { throw bad("expected an integer in \(range.lowerBound)...\(range.upperBound)") }
                return v
            }
            switch key {
            case "name":
                guard !value.isEmpty, !value.contains("/"), value != ".", value != ".." else { throw bad("not a folder name") }
                name = value
            case "sensor":
                guard let s = SensorSpecification(value) else {
                    throw bad("expected family or family@seed, families: \(SensorFamily.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                sensor = s
            case "pattern":
                guard let p = CFAPattern(rawValue: value.uppercased()) else { throw bad("expected rggb, grbg, gbrg or bggr") }
                pattern = p
            case "bits": bitDepth = try integer(1...16)
            case "black": blackLevel = try integer(0...65534)
            case "white": whiteLevel = try integer(1...65535)
            case "exposure":
                let v = value.lowercased() == "center-weighted" ? "centre-weighted" : value.lowercased()
                guard let r = ExposureRule(rawValue: v) else { throw bad("expected percentile, mean, centre-weighted or fixed") }
                exposure = r
            case "target": target = try number({ $0 > 0 }, "expected a positive number")
            case "percentile": percentile = try number({ $0 > 0 && $0 <= 1 }, "expected a number in (0, 1]")
            case "jitter": jitterStops = try number({ $0 >= 0 }, "expected a non-negative number of stops")
            case "electrons": electronsAtWhite = try number({ $0 >= 0 }, "expected a non-negative number of electrons")
            case "read": readNoise = try number({ $0 >= 0 }, "expected a non-negative number of DN")
            default: throw .unknownField(key)
            }
        }
    }

    /// The text form, fields in ``fieldNames`` order (parsing it gives this specification back).
    public var description: String {
        var parts: [String] = []
        func add(_ key: String, _ value: String?) { if let v = value { parts.append("\(key)=\(v)") } }
        add("name", name)
        add("sensor", sensor?.description)
        add("pattern", pattern?.rawValue.lowercased())
        add("bits", bitDepth.map(String.init))
        add("black", blackLevel.map(String.init))
        add("white", whiteLevel.map(String.init))
        add("exposure", exposure?.rawValue)
        add("target", target.map(Self.format))
        add("percentile", percentile.map(Self.format))
        add("jitter", jitterStops.map(Self.format))
        add("electrons", electronsAtWhite.map(Self.format))
        add("read", readNoise.map(Self.format))
        return parts.joined(separator: ",")
    }

    /// A number as written in the text form: integers without a fraction (`6000`, not `6000.0`).
    private static func format(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : "\(v)"
    }

    /// `base` with this specification's changes; the colour matrices are refitted if the sensor changes.
    ///
    /// - Throws: ``CameraSpecificationError/inconsistent(field:reason:)`` if the levels do not fit
    ///   the bit depth, the black level is not below the white level, a fixed exposure has no
    ///   target, or an automatic-exposure field is given for a fixed exposure.
    public func camera(basedOn base: CameraModel, data: SpectralData) throws(CameraSpecificationError) -> CameraModel {
        var c = base
        if let n = name { c.name = n }
        if let s = sensor { c.sensitivities = s.sensitivities(data) }
        if let p = pattern { c.pattern = p }
        let bits = bitDepth ?? base.bitDepth
        let white = whiteLevel ?? (bitDepth != nil ? (1 << bits) - 1 : base.whiteLevel)
        let black = blackLevel ?? base.blackLevel
        guard white <= (1 << bits) - 1 else {
            throw .inconsistent(field: whiteLevel != nil ? "white" : "bits",
                                reason: "white level \(white) does not fit in \(bits) bits (at most \((1 << bits) - 1))")
        }
        guard black < white else {
            throw .inconsistent(field: blackLevel != nil ? "black" : whiteLevel != nil ? "white" : "bits", reason: "black level \(black) must be below the white level \(white)")
        }
        c.bitDepth = bits
        c.whiteLevel = white
        c.blackLevel = black
        c.exposure = try exposureControl(base.exposure)
        if electronsAtWhite != nil || readNoise != nil {
            let shot: ShotNoise? = electronsAtWhite.map { $0 > 0 ? .electronsAtWhite($0) : nil } ?? base.noise.shot
            c.noise = NoiseModel(shot: shot, readNoise: readNoise ?? base.noise.readNoise)
        }
        return c
    }

    private func exposureControl(_ base: ExposureControl) throws(CameraSpecificationError) -> ExposureControl {
        let rule: ExposureRule
        if let e = exposure {
            rule = e
        } else if case .automatic(let ae) = base {
            rule = ExposureRule.allCases.first { $0.metering == ae.metering }!
        } else {
            rule = .fixed
        }
        guard let metering = rule.metering else {
            for (key, v) in [("percentile", percentile), ("jitter", jitterStops)] where v != nil {
                throw .inconsistent(field: key, reason: "applies to automatic exposure, not to a fixed one")
            }
            if let t = target { return .fixed(t) }
            if exposure == nil, case .fixed = base { return base }
            throw .inconsistent(field: "exposure", reason: "a fixed exposure needs target=<exposure>")
        }
        var old: AutoExposure? = nil
        if case .automatic(let ae) = base { old = ae }
        let sameMetering = old?.metering == metering
        return .automatic(AutoExposure(
            percentile: percentile ?? old?.percentile ?? 0.98,
            target: target ?? (sameMetering ? old!.target : metering.defaultTarget),
            jitterStops: jitterStops ?? old?.jitterStops ?? 0.3,
            metering: metering))
    }
}
