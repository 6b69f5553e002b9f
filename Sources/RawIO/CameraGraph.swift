/// Which cameras of a dataset saw the same scenes: cameras are nodes, and two cameras are joined
/// by an edge when at least one scene (a file name) appears under both.
///
/// Built from a dataset's anchor folders by ``DatasetLayout/cameraGraph(cameras:split:)``, or from
/// scene lists with ``init(cameras:scenes:)``. A multi-camera model needs its anchor graph to be
/// connected (a chain or a star is enough); a pair of cameras without an edge is mapped through
/// the cameras that connect them, along ``path(from:to:)``.
public struct CameraGraph: Sendable, Equatable, Codable {
    /// Two cameras that saw the same scenes.
    public struct Edge: Sendable, Equatable, Codable {
        /// The first camera (earlier in ``CameraGraph/cameras``).
        public var cameraA: String
        /// The second camera.
        public var cameraB: String
        /// The scenes both saw, sorted.
        public var scenes: [String]

        /// Creates an edge.
        public init(cameraA: String, cameraB: String, scenes: [String]) {
            self.cameraA = cameraA
            self.cameraB = cameraB
            self.scenes = scenes
        }
    }

    /// The cameras, in the order given.
    public let cameras: [String]
    /// The edges: every pair of cameras (first camera earlier in ``cameras``) with shared scenes,
    /// in camera order.
    public let edges: [Edge]

    /// Builds the graph of cameras whose scene lists share names.
    /// - Parameters:
    ///   - cameras: the camera names, distinct (a `precondition`).
    ///   - scenes: each camera's scene names (missing cameras have none).
    public init(cameras: [String], scenes: [String: [String]]) {
        precondition(Set(cameras).count == cameras.count, "camera names must be distinct, got \(cameras)")
        self.cameras = cameras
        var edges: [Edge] = []
        for i in cameras.indices {
            let mine = Set(scenes[cameras[i]] ?? [])
            for j in cameras.indices where j > i {
                let shared = (scenes[cameras[j]] ?? []).filter { mine.contains($0) }.sorted()
                if !shared.isEmpty { edges.append(Edge(cameraA: cameras[i], cameraB: cameras[j], scenes: shared)) }
            }
        }
        self.edges = edges
    }

    /// The edge joining two cameras (in either order), or `nil`.
    public func edge(_ a: String, _ b: String) -> Edge? {
        edges.first { ($0.cameraA == a && $0.cameraB == b) || ($0.cameraA == b && $0.cameraB == a) }
    }

    /// The cameras joined to `camera` by an edge, in camera order.
    public func neighbours(of camera: String) -> [String] {
        cameras.filter { $0 != camera && edge(camera, $0) != nil }
    }

    /// The connected groups of cameras, each in camera order, ordered by their first camera.
    public var components: [[String]] {
        var seen = Set<String>(), groups: [[String]] = []
        for start in cameras where !seen.contains(start) {
            var group = [start], queue = [start]
            seen.insert(start)
            while let c = queue.popLast() {
                for n in neighbours(of: c) where !seen.contains(n) {
                    seen.insert(n)
                    group.append(n)
                    queue.append(n)
                }
            }
            groups.append(cameras.filter { group.contains($0) })
        }
        return groups
    }

    /// Whether every camera is reachable from every other.
    public var isConnected: Bool { components.count <= 1 }

    /// A shortest chain of edges from `source` to `target`, both included (`[source]` when they
    /// are the same camera), or `nil` when no chain joins them.
    ///
    /// Breadth-first search visiting neighbours in camera order, so among chains of equal length
    /// the one through earlier cameras is chosen, the same every time.
    public func path(from source: String, to target: String) -> [String]? {
        guard cameras.contains(source), cameras.contains(target) else { return nil }
        if source == target { return [source] }
        var previous: [String: String] = [source: source]
        var frontier = [source]
        while !frontier.isEmpty {
            var next: [String] = []
            for c in frontier {
                for n in neighbours(of: c) where previous[n] == nil {
                    previous[n] = c
                    if n == target {
                        var chain = [target]
                        while chain[0] != source { chain.insert(previous[chain[0]]!, at: 0) }
                        return chain
                    }
                    next.append(n)
                }
            }
            frontier = next
        }
        return nil
    }

    /// `a->b->c`: a chain as reports show it.
    public static func describe(_ path: [String]) -> String { path.joined(separator: "->") }
}

extension DatasetLayout {
    /// The scene names (file names without extension) of `camera`'s images of `split`, sorted;
    /// empty when the folder does not exist.
    /// - Throws: ``DatasetError`` when the folder cannot be read or holds two files of one name.
    public func sceneNames(_ split: DatasetSplit, camera: String) throws(DatasetError) -> [String] {
        try files(split, camera: camera).map(\.name)
    }

    /// The image files of `camera`'s images of `split`, sorted by name; empty when the folder
    /// does not exist.
    /// - Throws: ``DatasetError`` when the folder cannot be read or holds two files of one name.
    public func files(_ split: DatasetSplit, camera: String) throws(DatasetError) -> [PackedImageFile] {
        try checkCamera(camera)
        guard hasFolder(split, camera: camera) else { return [] }
        return try DatasetListing.list(folder(split, camera: camera)).files
    }

    /// The graph of which of `cameras` saw the same scenes of `split` (by default the anchors).
    /// - Throws: ``DatasetError/unknownCamera(name:available:)`` for a camera the dataset lacks,
    ///   or an error reading a folder.
    public func cameraGraph(cameras: [String], split: DatasetSplit = .anchor) throws(DatasetError) -> CameraGraph {
        precondition(split != .unpaired, "unpaired images are different scenes: they make no graph")
        var scenes: [String: [String]] = [:]
        for c in cameras { scenes[c] = try sceneNames(split, camera: c) }
        return CameraGraph(cameras: cameras, scenes: scenes)
    }
}
