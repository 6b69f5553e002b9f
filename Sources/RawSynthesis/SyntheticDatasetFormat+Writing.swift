import Foundation
import RawIO

// The only place the synthetic dataset touches the RawIO writers.
extension SyntheticDatasetFormat {
    /// Writes `capture` to `url` in this format: `.mat` as the packed image (variable `raw_rggb`,
    /// single precision) through `PackedImage.writeMAT`, `.dng` as the mosaic through `BayerImage.writeDNG`.
    func write(_ capture: CameraCapture, to url: URL) throws(RawIOError) {
        switch self {
        case .mat: try capture.packed.writeMAT(to: url, variable: "raw_rggb", precision: .single)
        case .dng: try capture.bayer.writeDNG(to: url)
        }
    }
}
