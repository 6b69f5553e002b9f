import Foundation

/// A JSON document kept token by token, so that a mutation can put any text (an out-of-range
/// number, a wrong type, deep nesting) at any place and everything else stays byte-exact.
///
/// Only the harness parses with it, and only the well-formed JSON its seeds hold; strings and
/// numbers stay as their source tokens.
indirect enum JSONText: Equatable {
    case object([(key: String, value: JSONText)])
    case array([JSONText])
    /// A scalar token as written: a string with its quotes, a number, `true`, `false`, `null`, or
    /// any text a mutation put there.
    case token(String)

    static func == (a: JSONText, b: JSONText) -> Bool { a.serialized() == b.serialized() }

    /// Parses `bytes`; `nil` when they are not JSON this parser understands.
    static func parse(_ bytes: [UInt8]) -> JSONText? {
        var parser = Parser(bytes: bytes)
        guard let value = parser.value(depth: 0) else { return nil }
        parser.skipSpace()
        return parser.index == bytes.count ? value : nil
    }

    /// The compact JSON text.
    func serialized() -> String {
        var out = ""
        write(into: &out)
        return out
    }

    private func write(into out: inout String) {
        switch self {
        case .token(let t): out += t
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, m) in members.enumerated() {
                if i > 0 { out += "," }
                out += m.key + ":"
                m.value.write(into: &out)
            }
            out += "}"
        }
    }

    /// A step into a container: an object member's position or an array index.
    typealias Path = [Int]

    /// The paths of every value, the root first, in document order.
    func paths() -> [Path] {
        var result: [Path] = [[]]
        func visit(_ node: JSONText, _ path: Path) {
            switch node {
            case .token: break
            case .array(let items):
                for (i, item) in items.enumerated() { result.append(path + [i]); visit(item, path + [i]) }
            case .object(let members):
                for (i, m) in members.enumerated() { result.append(path + [i]); visit(m.value, path + [i]) }
            }
        }
        visit(self, [])
        return result
    }

    /// The value at `path`.
    func value(at path: Path) -> JSONText {
        guard let first = path.first else { return self }
        switch self {
        case .token: return self
        case .array(let items): return items[first].value(at: Array(path.dropFirst()))
        case .object(let members): return members[first].value.value(at: Array(path.dropFirst()))
        }
    }

    /// A readable name for `path`, e.g. `settings.cameras[0].bitDepth`.
    func describe(_ path: Path) -> String {
        var text = "", node = self
        for step in path {
            switch node {
            case .token: return text
            case .array(let items):
                text += "[\(step)]"
                node = items[step]
            case .object(let members):
                let key = members[step].key
                text += (text.isEmpty ? "" : ".") + String(key.dropFirst().dropLast())
                node = members[step].value
            }
        }
        return text.isEmpty ? "<root>" : text
    }

    /// Replaces the container or value at `path` by the result of `change` (given the old value).
    func replacing(at path: Path, _ change: (JSONText) -> JSONText) -> JSONText {
        guard let first = path.first else { return change(self) }
        let rest = Array(path.dropFirst())
        switch self {
        case .token: return self
        case .array(var items):
            items[first] = items[first].replacing(at: rest, change)
            return .array(items)
        case .object(var members):
            members[first].value = members[first].value.replacing(at: rest, change)
            return .object(members)
        }
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 }
        }

        mutating func value(depth: Int) -> JSONText? {
            guard depth < 200 else { return nil }
            skipSpace()
            guard index < bytes.count else { return nil }
            switch bytes[index] {
            case UInt8(ascii: "{"):
                index += 1
                var members: [(key: String, value: JSONText)] = []
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
                while true {
                    skipSpace()
                    guard let key = string() else { return nil }
                    skipSpace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
                    index += 1
                    guard let v = value(depth: depth + 1) else { return nil }
                    members.append((key, v))
                    skipSpace()
                    guard index < bytes.count else { return nil }
                    if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                    if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
                    return nil
                }
            case UInt8(ascii: "["):
                index += 1
                var items: [JSONText] = []
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
                while true {
                    guard let v = value(depth: depth + 1) else { return nil }
                    items.append(v)
                    skipSpace()
                    guard index < bytes.count else { return nil }
                    if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                    if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
                    return nil
                }
            case UInt8(ascii: "\""):
                return string().map(JSONText.token)
            default:
                let start = index
                while index < bytes.count, !",]} \n\r\t".utf8.contains(bytes[index]) { index += 1 }
                guard index > start, let t = String(bytes: bytes[start..<index], encoding: .utf8) else { return nil }
                return .token(t)
            }
        }

        /// A string token with its quotes and escapes as written.
        mutating func string() -> String? {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
            let start = index
            index += 1
            while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
            }
            guard index < bytes.count else { return nil }
            index += 1
            return String(bytes: bytes[start..<index], encoding: .utf8)
        }
    }
}
