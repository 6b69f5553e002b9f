import Foundation
import Testing
@testable import RawIO

@Suite("Camera graphs and multi-camera datasets")
struct CameraGraphTests {
    @Test("A chain: edges, neighbours, shortest paths both ways, connected")
    func chain() {
        let g = CameraGraph(cameras: ["a", "b", "c"], scenes: ["a": ["s1", "s2"], "b": ["s1", "s2", "s3"], "c": ["s3"]])
        #expect(g.edges == [CameraGraph.Edge(cameraA: "a", cameraB: "b", scenes: ["s1", "s2"]),
                            CameraGraph.Edge(cameraA: "b", cameraB: "c", scenes: ["s3"])])
        #expect(g.edge("c", "b")?.scenes == ["s3"])
        #expect(g.edge("a", "c") == nil)
        #expect(g.neighbours(of: "b") == ["a", "c"])
        #expect(g.path(from: "a", to: "c") == ["a", "b", "c"])
        #expect(g.path(from: "c", to: "a") == ["c", "b", "a"])
        #expect(g.path(from: "b", to: "b") == ["b"])
        #expect(g.path(from: "a", to: "z") == nil)
        #expect(g.isConnected)
        #expect(CameraGraph.describe(["a", "b", "c"]) == "a->b->c")
    }

    @Test("Among shortest paths of equal length the one through the earlier camera is chosen")
    func ties() {
        // a square a-b, a-c, b-d, c-d: two paths of two hops from a to d.
        let g = CameraGraph(cameras: ["a", "b", "c", "d"],
                            scenes: ["a": ["ab", "ac"], "b": ["ab", "bd"], "c": ["ac", "cd"], "d": ["bd", "cd"]])
        #expect(g.path(from: "a", to: "d") == ["a", "b", "d"])
        #expect(g.path(from: "d", to: "a") == ["d", "b", "a"])
    }

    @Test("A scene seen by three cameras joins all three; disconnected groups are listed")
    func componentsAndSharedScenes() {
        let g = CameraGraph(cameras: ["a", "b", "c", "d", "e"],
                            scenes: ["a": ["x"], "b": ["x"], "c": ["x"], "d": ["y"], "e": ["y"]])
        #expect(g.edges.count == 4)
        #expect(g.components == [["a", "b", "c"], ["d", "e"]])
        #expect(!g.isConnected)
        #expect(g.path(from: "a", to: "e") == nil)
    }

    @Test("A three-camera dataset: pairs are the shared names, a name under one camera only is still an error")
    func layoutPairs() throws {
        let d = DatasetFolder()
        defer { try? FileManager.default.removeItem(at: d.root) }
        for name in ["e12_0", "e12_1"] { d.writeMAT(.anchor, "cam1", name); d.writeMAT(.anchor, "cam2", name, seed: 1) }
        for name in ["e23_0"] { d.writeMAT(.anchor, "cam2", name, seed: 2); d.writeMAT(.anchor, "cam3", name, seed: 3) }
        for cam in ["cam1", "cam2", "cam3"] { d.writeMAT(.test, cam, "t0") }
        let layout = try DatasetLayout(root: d.root)
        #expect(layout.cameras == ["cam1", "cam2", "cam3"])
        #expect(try layout.anchorPairs(cameraA: "cam1", cameraB: "cam2").names == ["e12_0", "e12_1"])
        #expect(try layout.anchorPairs(cameraA: "cam2", cameraB: "cam3").names == ["e23_0"])
        #expect(try layout.anchorPairs(cameraA: "cam1", cameraB: "cam2").warnings.isEmpty)
        #expect(try layout.testPairs(cameraA: "cam1", cameraB: "cam3").names == ["t0"])
        #expect(throws: DatasetError.self) { try layout.anchorPairs(cameraA: "cam1", cameraB: "cam3") }
        let graph = try layout.cameraGraph(cameras: ["cam1", "cam2", "cam3"])
        #expect(graph.edges.map(\.scenes) == [["e12_0", "e12_1"], ["e23_0"]])
        #expect(try layout.sceneNames(.unpaired, camera: "cam1") == [])
        // An anchor only cam1 has is no one's scene: strict pairing names it.
        d.writeMAT(.anchor, "cam1", "orphan")
        #expect {
            try layout.anchorPairs(cameraA: "cam1", cameraB: "cam2")
        } throws: { error in
            guard case DatasetError.unmatchedNames(_, let onlyA, _, let onlyB) = error else { return false }
            return onlyA == ["orphan"] && onlyB.isEmpty
        }
    }

    @Test("A two-camera dataset still reports every unmatched name")
    func twoCameras() throws {
        let d = DatasetFolder()
        defer { try? FileManager.default.removeItem(at: d.root) }
        d.writeMAT(.anchor, "camA", "p0"); d.writeMAT(.anchor, "camB", "p0")
        d.writeMAT(.anchor, "camA", "p1")
        let layout = try DatasetLayout(root: d.root)
        #expect(throws: DatasetError.self) { try layout.anchorPairs(cameraA: "camA", cameraB: "camB") }
    }
}
