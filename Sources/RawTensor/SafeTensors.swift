import Foundation
import RawSupport

/// Named tensors in the safetensors format (the format of Hugging Face's `safetensors` package):
/// an 8-byte little-endian header length, a JSON header mapping each name to its data type, shape
/// and byte range, then the raw little-endian data.
///
/// Reading converts F32, F64, F16, BF16, I64, I32, I16, I8, U8 and BOOL tensors to Float; writing
/// stores F32. Files written here load in PyTorch with `safetensors.torch.load_file`.
///
/// ```swift
/// try SafeTensors(model.parameterTensors(), metadata: ["step": "1000"]).write(to: url)
/// let loaded = try SafeTensors(contentsOf: url)
/// try model.loadParameters(loaded.tensors, source: url.path)
/// ```
public struct SafeTensors: Sendable, Equatable {
    /// A stored element type.
    public enum DataType: String, Sendable, Equatable, CaseIterable {
        /// IEEE 754 single precision.
        case float32 = "F32"
        /// IEEE 754 double precision.
        case float64 = "F64"
        /// IEEE 754 half precision.
        case float16 = "F16"
        /// bfloat16 (the upper half of a Float32).
        case bfloat16 = "BF16"
        /// Signed 64-bit integer.
        case int64 = "I64"
        /// Signed 32-bit integer.
        case int32 = "I32"
        /// Signed 16-bit integer.
        case int16 = "I16"
        /// Signed 8-bit integer.
        case int8 = "I8"
        /// Unsigned 8-bit integer.
        case uint8 = "U8"
        /// Boolean, one byte.
        case bool = "BOOL"

        /// Bytes per element.
        public var size: Int {
            switch self {
            case .float64, .int64: return 8
            case .float32, .int32: return 4
            case .float16, .bfloat16, .int16: return 2
            case .int8, .uint8, .bool: return 1
            }
        }
    }

    /// The tensors by name (converted to Float).
    public var tensors: [String: Tensor]
    /// The free-form string metadata of the header (`__metadata__`).
    public var metadata: [String: String]
    /// The data type each tensor was stored with (F32 for tensors created in memory).
    public var dataTypes: [String: DataType]

    /// Wraps tensors and metadata for writing.
    public init(_ tensors: [String: Tensor], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
        self.dataTypes = tensors.mapValues { _ in .float32 }
    }

    /// Reads a safetensors file.
    ///
    /// - Throws: ``TensorIOError/fileNotFound(path:)``, ``TensorIOError/unreadable(path:reason:)``,
    ///   ``TensorIOError/corrupt(path:reason:)`` or ``TensorIOError/unsupportedDataType(path:name:dataType:)``.
    public init(contentsOf url: URL) throws(TensorIOError) {
        let path = url.path
        guard FileManager.default.fileExists(atPath: path) else { throw .fileNotFound(path: path) }
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw .unreadable(path: path, reason: "\(error)") }
        try self.init(data: data, path: path)
    }

    /// Decodes safetensors bytes; `path` names the source in errors.
    public init(data: Data, path: String = "<memory>") throws(TensorIOError) {
        let bytes = [UInt8](data)
        guard bytes.count >= 8 else { throw .corrupt(path: path, reason: "\(bytes.count) bytes, shorter than the 8-byte header length") }
        var headerLength: UInt64 = 0
        for i in 0..<8 { headerLength |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw .corrupt(path: path, reason: "header length \(headerLength) exceeds the \(bytes.count - 8) bytes after it")
        }
        let headerEnd = 8 + Int(headerLength)
        let headerBytes = Data(bytes[8..<headerEnd])
        guard headerBytes.first == UInt8(ascii: "{") else { throw .corrupt(path: path, reason: "header does not start with '{'") }
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: headerBytes) } catch {
            throw .corrupt(path: path, reason: "header is not valid JSON")
        }
        guard let header = json as? [String: Any] else { throw .corrupt(path: path, reason: "header is not a JSON object") }
        let dataSize = bytes.count - headerEnd

        var tensors: [String: Tensor] = [:], dataTypes: [String: DataType] = [:], metadata: [String: String] = [:]
        var ranges: [(Int, Int)] = []
        for (name, entry) in header {
            if name == "__metadata__" {
                guard let m = entry as? [String: Any] else { throw .corrupt(path: path, reason: "__metadata__ is not an object") }
                for (k, v) in m {
                    guard let s = v as? String else { throw .corrupt(path: path, reason: "metadata value of '\(k)' is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let info = entry as? [String: Any] else { throw .corrupt(path: path, reason: "entry '\(name)' is not an object") }
            guard let dtypeName = info["dtype"] as? String else { throw .corrupt(path: path, reason: "tensor '\(name)' has no dtype") }
            guard let dtype = DataType(rawValue: dtypeName) else {
                throw .unsupportedDataType(path: path, name: name, dataType: dtypeName)
            }
            guard let shapeArray = info["shape"] as? [Any], let shape = SafeTensors.integers(shapeArray),
                  shape.allSatisfy({ $0 >= 0 }) else {
                throw .corrupt(path: path, reason: "tensor '\(name)' has an invalid shape")
            }
            guard let offsetArray = info["data_offsets"] as? [Any], let offsets = SafeTensors.integers(offsetArray),
                  offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1] else {
                throw .corrupt(path: path, reason: "tensor '\(name)' has invalid data_offsets")
            }
            guard offsets[1] <= dataSize else {
                throw .corrupt(path: path, reason: "tensor '\(name)' ends at byte \(offsets[1]) of a \(dataSize)-byte data section")
            }
            var count = 1
            for s in shape {
                let (p, o) = count.multipliedReportingOverflow(by: s)
                guard !o, p <= dataSize else { throw .corrupt(path: path, reason: "tensor '\(name)' shape \(shape) is too large") }
                count = p
            }
            guard offsets[1] - offsets[0] == count * dtype.size else {
                throw .corrupt(path: path, reason: "tensor '\(name)' \(dtypeName)\(shape) needs \(count * dtype.size) bytes, has \(offsets[1] - offsets[0])")
            }
            ranges.append((offsets[0], offsets[1]))
            let start = headerEnd + offsets[0]
            var values = [Float](repeating: 0, count: count)
            bytes.withUnsafeBufferPointer { raw in
                let base = UnsafeRawPointer(raw.baseAddress!) + start
                SafeTensors.convert(base, dtype, count, into: &values)
            }
            tensors[name] = Tensor(shape: shape, values: values)
            dataTypes[name] = dtype
        }
        // The data section must be exactly covered, without overlaps (the format's own rule).
        ranges.sort { $0 < $1 }
        var cursor = 0
        for (lo, hi) in ranges {
            guard lo == cursor else { throw .corrupt(path: path, reason: "tensor data overlaps or leaves a gap at byte \(cursor)") }
            cursor = hi
        }
        guard cursor == dataSize else { throw .corrupt(path: path, reason: "data section has \(dataSize - cursor) unused trailing bytes") }
        self.tensors = tensors
        self.metadata = metadata
        self.dataTypes = dataTypes
    }

    private static func integers(_ array: [Any]) -> [Int]? {
        var result: [Int] = []
        for element in array {
            guard let number = element as? NSNumber else { return nil }
            let d = number.doubleValue
            guard d.rounded() == d, d >= 0, d < 9.0e15 else { return nil }
            result.append(number.intValue)
        }
        return result
    }

    private static func convert(_ base: UnsafeRawPointer, _ dtype: DataType, _ count: Int, into values: inout [Float]) {
        for i in 0..<count {
            let p = base + i * dtype.size
            switch dtype {
            case .float32: values[i] = Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(as: UInt32.self)))
            case .float64: values[i] = Float(Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(as: UInt64.self))))
            case .float16: values[i] = halfToFloat(UInt16(littleEndian: p.loadUnaligned(as: UInt16.self)))
            case .bfloat16: values[i] = Float(bitPattern: UInt32(UInt16(littleEndian: p.loadUnaligned(as: UInt16.self))) << 16)
            case .int64: values[i] = Float(Int64(littleEndian: p.loadUnaligned(as: Int64.self)))
            case .int32: values[i] = Float(Int32(littleEndian: p.loadUnaligned(as: Int32.self)))
            case .int16: values[i] = Float(Int16(littleEndian: p.loadUnaligned(as: Int16.self)))
            case .int8: values[i] = Float(p.load(as: Int8.self))
            case .uint8: values[i] = Float(p.load(as: UInt8.self))
            case .bool: values[i] = p.load(as: UInt8.self) != 0 ? 1 : 0
            }
        }
    }

    /// IEEE half to single precision, including subnormals, infinities and NaN.
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h >> 15) << 31
        let exponent = Int((h >> 10) & 0x1F)
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0 {
            let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign != 0 ? -magnitude : magnitude
        }
        if exponent == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
    }

    /// The file's bytes: tensors sorted by name, stored as F32, header padded with spaces to a
    /// multiple of 8 bytes.
    public func encoded() -> Data {
        let names = tensors.keys.sorted()
        var header = "{"
        var entries: [String] = []
        if !metadata.isEmpty {
            let m = metadata.keys.sorted().map { "\(SafeTensors.jsonString($0)):\(SafeTensors.jsonString(metadata[$0]!))" }
            entries.append("\"__metadata__\":{\(m.joined(separator: ","))}")
        }
        var offset = 0
        for name in names {
            let t = tensors[name]!
            let size = t.count * 4
            entries.append("\(SafeTensors.jsonString(name)):{\"dtype\":\"F32\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + size)]}")
            offset += size
        }
        header += entries.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(UInt8(ascii: " ")) }
        var out = [UInt8]()
        out.reserveCapacity(8 + headerBytes.count + offset)
        let length = UInt64(headerBytes.count)
        for i in 0..<8 { out.append(UInt8((length >> (8 * UInt64(i))) & 0xFF)) }
        out += headerBytes
        for name in names {
            tensors[name]!.withUnsafeBufferPointer { values in
                for v in values {
                    let bits = v.bitPattern.littleEndian
                    withUnsafeBytes(of: bits) { out.append(contentsOf: $0) }
                }
            }
        }
        return Data(out)
    }

    /// Writes the tensors to `url` atomically: to a temporary file in the same folder, then renamed.
    ///
    /// - Throws: ``TensorIOError/writeFailed(path:reason:)``.
    public func write(to url: URL) throws(TensorIOError) {
        try AtomicFile.write(encoded(), to: url) { TensorIOError.writeFailed(path: $0.path, reason: $0.reason) }
    }

    private static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}
