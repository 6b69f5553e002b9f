internal import CLibRaw
import Foundation

/// The one place RawIO calls LibRaw. A processor owns a `libraw_data_t` handle (from
/// `libraw_init`) and frees it with `libraw_close` in `deinit`. It is never shared across threads:
/// each decode makes its own.
final class LibRawProcessor {
    private let handle: UnsafeMutablePointer<libraw_data_t>
    let path: String

    /// Data errors LibRaw reported through its data-error callback: the byte offset of each
    /// (`-1` when LibRaw hit the end of the file).
    private(set) var dataErrorOffsets: [Int] = []
    /// Where LibRaw ran out of memory, from its memory-error callback.
    private(set) var memoryErrorSite: String?

    /// Wraps `libraw_init`, then installs the data-error and memory-error callbacks
    /// (`libraw_set_dataerror_handler`, `libraw_set_memerror_handler`), so that LibRaw prints
    /// nothing to stderr and its reports become typed errors. LibRaw's memory limits
    /// (`max_raw_memory_mb`) keep their defaults.
    init(path: String) throws(RawIOError) {
        guard let h = libraw_init(0) else {
            throw .libraw(path: path, code: -100007, message: "libraw_init failed (out of memory)")
        }
        handle = h
        self.path = path
        let context = Unmanaged.passUnretained(self).toOpaque()
        libraw_set_dataerror_handler(handle, { context, _, offset in
            guard let context else { return }
            Unmanaged<LibRawProcessor>.fromOpaque(context).takeUnretainedValue().dataErrorOffsets.append(Int(offset))
        }, context)
        libraw_set_memerror_handler(handle, { context, _, site in
            guard let context else { return }
            Unmanaged<LibRawProcessor>.fromOpaque(context).takeUnretainedValue().memoryErrorSite = site.map { String(cString: $0) } ?? "unknown"
        }, context)
    }

    deinit { libraw_close(handle) }

    /// Turns a LibRaw return code into a typed error (the only place this happens), using what the
    /// callbacks reported.
    private func check(_ code: Int32, _ call: String) throws(RawIOError) {
        guard code != 0 else { return }
        let message = String(cString: libraw_strerror(code))
        switch code {
        case -2:  // LIBRAW_FILE_UNSUPPORTED
            throw .notARawFile(path: path, reason: "LibRaw: \(message)")
        case -100009:  // LIBRAW_IO_ERROR: LibRaw reads past the end of the data
            throw .corrupt(path: path, reason: "LibRaw \(call): \(message) (the file ends before the data it declares)")
        case -100008:  // LIBRAW_DATA_ERROR
            throw .corrupt(path: path, reason: "LibRaw \(call): \(message)")
        case -100012, -100007:  // LIBRAW_TOO_BIG, LIBRAW_UNSUFFICIENT_MEMORY
            let site = memoryErrorSite.map { " in \($0)" } ?? ""
            throw .corrupt(path: path, reason: "LibRaw \(call): \(message)\(site) (the file declares an image larger than LibRaw's memory limit allows)")
        default:
            throw .libraw(path: path, code: code, message: "\(call): \(message)")
        }
    }

    /// Turns data errors LibRaw reported while decoding (and then carried on) into `.corrupt`.
    private func checkDataErrors(_ call: String) throws(RawIOError) {
        guard let first = dataErrorOffsets.first else { return }
        if first < 0 {
            throw .corrupt(path: path, reason: "LibRaw \(call): unexpected end of file")
        }
        let more = dataErrorOffsets.count > 1 ? " and \(dataErrorOffsets.count - 1) more place(s)" : ""
        throw .corrupt(path: path, reason: "LibRaw \(call): corrupt data at byte \(first)\(more)")
    }

    /// Wraps `libraw_open_file`.
    func open() throws(RawIOError) {
        try check(libraw_open_file(handle, path), "libraw_open_file")
        try checkDataErrors("libraw_open_file")
    }

    /// Wraps `libraw_unpack`; a data error LibRaw reported during it is `.corrupt` even when
    /// LibRaw itself carried on.
    func unpack() throws(RawIOError) {
        try check(libraw_unpack(handle), "libraw_unpack")
        try checkDataErrors("libraw_unpack")
    }

    /// The CFA colour index (0 R, 1 G, 2 B, 3 G2) at visible `row`, `column`, from `libraw_COLOR`.
    func colorIndex(row: Int, column: Int) -> Int {
        Int(libraw_COLOR(handle, Int32(row), Int32(column)))
    }

    var filters: UInt32 { r2r_filters(handle) }
    var colors: Int { Int(r2r_colors(handle)) }
    var isFoveon: Bool { r2r_is_foveon(handle) != 0 }
    var dngVersion: UInt32 { r2r_dng_version(handle) }
    var make: String { String(cString: r2r_make(handle)) }
    var model: String { String(cString: r2r_model(handle)) }
    var colorDescription: String { String(cString: r2r_cdesc(handle)) }
    var rawWidth: Int { Int(r2r_raw_width(handle)) }
    var rawHeight: Int { Int(r2r_raw_height(handle)) }
    var width: Int { Int(r2r_width(handle)) }
    var height: Int { Int(r2r_height(handle)) }
    var topMargin: Int { Int(r2r_top_margin(handle)) }
    var leftMargin: Int { Int(r2r_left_margin(handle)) }
    var rawPitch: Int { Int(r2r_raw_pitch(handle)) }
    var hasColorImage: Bool { r2r_has_color_image(handle) != 0 }
    var black: Double { Double(r2r_black(handle)) }
    func cblack(_ i: Int) -> Int { Int(r2r_cblack(handle, Int32(i))) }
    var maximum: Int { Int(r2r_maximum(handle)) }
    func cameraMultiplier(_ i: Int) -> Double { Self.decimal(r2r_cam_mul(handle, Int32(i))) }
    func asShotNeutral(_ i: Int) -> Double { Self.decimal(r2r_as_shot_neutral(handle, Int32(i))) }
    func dngIlluminant(_ k: Int) -> Int { Int(r2r_dng_illuminant(handle, Int32(k))) }
    func dngColorMatrix(_ k: Int, row: Int, column: Int) -> Double {
        Self.decimal(r2r_dng_color_matrix(handle, Int32(k), Int32(row), Int32(column)))
    }
    var iso: Double { Self.decimal(r2r_iso(handle)) }
    var shutter: Double { Self.decimal(r2r_shutter(handle)) }

    /// The Double with the shortest decimal form that LibRaw's `float` stands for: the file holds
    /// rationals such as 5019/10000, which `Double(Float(0.5019))` would turn into 0.50190001726.
    static func decimal(_ value: Float) -> Double {
        guard value.isFinite else { return Double(value) }
        return Double(value.description) ?? Double(value)
    }

    /// Copies the visible area of `rawdata.raw_image` row by row; `nil` when LibRaw produced no
    /// one-sample-per-pixel image. The array is filled as it is created (no zero-fill pass).
    func visibleSamples() -> [UInt16]? {
        guard let raw = r2r_raw_image(handle) else { return nil }
        let w = width, h = height, top = topMargin, left = leftMargin
        let pitch = rawPitch / 2  // raw_pitch is in bytes
        guard w > 0, h > 0, top >= 0, left >= 0, pitch >= left + w, top + h <= rawHeight else { return nil }
        return [UInt16](unsafeUninitializedCapacity: w * h) { dst, initialized in
            for y in 0..<h {
                (dst.baseAddress! + y * w).initialize(from: raw + (top + y) * pitch + left, count: w)
            }
            initialized = w * h
        }
    }
}
