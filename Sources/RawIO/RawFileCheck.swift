import Foundation

/// Checks done before a file reaches LibRaw: it exists, is readable and is not empty.
enum RawFileCheck {
    static func precheck(path: String) throws(RawIOError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .fileNotFound(path: path)
        }
        if isDirectory.boolValue { throw .unreadable(path: path, reason: "it is a directory") }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw .unreadable(path: path, reason: "permission denied")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        if size == 0 { throw .notARawFile(path: path, reason: "the file is empty") }
    }
}
