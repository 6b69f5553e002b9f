import Calibration
import Foundation
import RawSupport
import RawIO
import RawTensor

/// Checkpoints: writing them, finding the newest readable one and resuming a run from it.
extension Trainer {
    /// A checkpoint read from disk.
    struct ReadCheckpoint {
        var url: URL
        var state: CheckpointState
        var weights: SafeTensors
        var optimizer: SafeTensors
    }

    /// The newest intact checkpoint of `modelDirectory` (leftovers of interrupted writes removed
    /// first), or `nil` when it has none (a new run).
    ///
    /// Each checkpoint's files are verified against its checksum list. A damaged or unreadable
    /// checkpoint is skipped for the one before it, with a note naming it and the one used.
    /// - Throws: ``TrainingError/noIntactCheckpoint(folder:problems:)`` when checkpoints exist
    ///   but none is intact: resuming never silently restarts over damaged checkpoints.
    static func newestIntactCheckpoint(in modelDirectory: URL, notes: inout [String]) throws(TrainingError) -> ReadCheckpoint? {
        CheckpointStore.removeLeftovers(in: modelDirectory)
        let candidates = CheckpointStore.list(in: modelDirectory)
        var problems: [TrainingError] = []
        for candidate in candidates {
            let name = candidate.url.lastPathComponent
            do {
                let r = try CheckpointStore.read(candidate.url)
                if let newest = candidates.first, !problems.isEmpty {
                    notes.append("the newest checkpoint, \(newest.url.lastPathComponent), is damaged: "
                                 + "falling back to the previous intact one, \(name)")
                }
                if !r.verified {
                    notes.append("checkpoint \(name) has no \(ChecksumList.fileName) (written by an older raw2raw): "
                                 + "resuming from it unverified")
                }
                return ReadCheckpoint(url: candidate.url, state: r.state, weights: r.weights, optimizer: r.optimizer)
            } catch {
                problems.append(error)
                notes.append("skipped the damaged checkpoint \(name): \(error.description)")
            }
        }
        if candidates.isEmpty {
            notes.append("no checkpoint to resume from in \(modelDirectory.path): starting a new run")
            return nil
        }
        throw .noIntactCheckpoint(folder: CheckpointStore.folder(in: modelDirectory).path, problems: problems)
    }

    /// The network and anchor gains of checkpoint `r`, its weights loaded and `updater` restored,
    /// after checking that it was made with this data and a compatible configuration.
    static func restoredStart(from r: ReadCheckpoint, configuration c: TrainingConfiguration, data: TrainingData,
                              updater: ParameterUpdater<Adam>, notes: inout [String]) throws(TrainingError) -> StartingPoint {
        if let diff = r.state.data.difference(from: data.fingerprint) {
            throw .incompatibleCheckpoint(path: r.url.path, reason: "it was trained on other data: \(diff)")
        }
        let changed = Self.changedKeys(r.state.configuration, c)
        if !changed.isEmpty {
            throw .incompatibleCheckpoint(path: r.url.path, reason: "the configuration differs in: \(changed.joined(separator: ", "))")
        }
        if r.state.configuration.optimization.steps != c.optimization.steps {
            notes.append("the run length changed from \(r.state.configuration.optimization.steps) to \(c.optimization.steps) steps; "
                         + "with a decaying schedule the rest of the run differs from an uninterrupted one")
        }
        let bases = DirectionPair(aToB: r.state.baseMappingAToB, bToA: r.state.baseMappingBToA).unwrapped()
        let network = Raw2RawNetwork(configuration: c.model, cameraA: data.cameraA, cameraB: data.cameraB,
                                     baseMappings: bases, seed: c.seed)
        network.targetExposures = DirectionPair(aToB: r.state.exposureAToB, bToA: r.state.exposureBToA)
        var anchorGains: DirectionPair<[Double]>?
        if let ab = r.state.anchorGainsAToB, let ba = r.state.anchorGainsBToA {
            guard ab.count == data.anchors.count && ba.count == data.anchors.count else {
                throw .incompatibleCheckpoint(path: r.url.path, reason: "it holds \(ab.count) anchor gains for \(data.anchors.count) anchor pairs")
            }
            anchorGains = DirectionPair(aToB: ab, bToA: ba)
        } else if c.model.alignsAnchorExposure {
            throw .incompatibleCheckpoint(path: r.url.path, reason: "it has no anchor exposure gains, which alignsAnchorExposure needs")
        }
        do {
            try network.loadParameters(r.weights.tensors, strict: true, source: r.url.appendingPathComponent(CheckpointStore.weightsFile).path)
            try updater.restore(from: r.optimizer, for: network, source: r.url.appendingPathComponent(CheckpointStore.optimizerFile).path)
        } catch {
            throw .checkpoint(path: error.path, reason: error.description)
        }
        guard updater.step == r.state.step else {
            throw .checkpoint(path: r.url.path, reason: "the optimizer state is at step \(updater.step), the checkpoint at \(r.state.step)")
        }
        return StartingPoint(network: network, anchorGains: anchorGains)
    }

    /// Restores the sampler, step count, latest losses and validation, and elapsed time of checkpoint `r`.
    func resumeRunState(from r: ReadCheckpoint) throws(TrainingError) {
        guard r.state.sampler.residentA.allSatisfy({ $0 < data.unpairedA.count })
                && r.state.sampler.residentB.allSatisfy({ $0 < data.unpairedB.count })
                && r.state.sampler.residentAnchors.allSatisfy({ $0 < data.anchors.count }) else {
            throw .incompatibleCheckpoint(path: r.url.path, reason: "its sampler state does not fit the dataset")
        }
        sampler.restore(r.state.sampler)
        step = r.state.step
        lastLosses = r.state.losses
        lastValidation = r.state.validation
        lastCheckpoint = r.url
        secondsBefore = r.state.seconds
        notes.append("resumed from \(r.url.path) at step \(step)")
    }

    /// The (flat JSON) configuration keys that differ, ignoring those that do not change the
    /// computation (run length, ``TrainingConfiguration/monitoring``).
    static func changedKeys(_ a: TrainingConfiguration, _ b: TrainingConfiguration) -> [String] {
        func neutral(_ c: TrainingConfiguration) -> TrainingConfiguration {
            var c = c
            c.optimization.steps = 0
            c.monitoring = MonitoringConfiguration()
            c.preset = .default
            return c
        }
        let na = neutral(a), nb = neutral(b)
        guard na != nb else { return [] }
        let ja = (try? JSONSerialization.jsonObject(with: Raw2RawNetwork.encodeJSON(na))) as? [String: Any] ?? [:]
        let jb = (try? JSONSerialization.jsonObject(with: Raw2RawNetwork.encodeJSON(nb))) as? [String: Any] ?? [:]
        let keys = Set(ja.keys).union(jb.keys).sorted()
        let diff = keys.filter { k in
            let ea = ja[k].map { (try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys, .fragmentsAllowed])) ?? Data() }
            let eb = jb[k].map { (try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys, .fragmentsAllowed])) ?? Data() }
            return ea != eb
        }
        return diff.isEmpty ? ["(values)"] : diff
    }

    /// Writes a checkpoint of the current state (atomically) and returns its folder.
    /// - Throws: ``TrainingError/checkpoint(path:reason:)``, ``TrainingError/model(_:)``, or
    ///   ``TrainingError/nonFiniteWeight(step:parameter:lastCheckpoint:)`` if a weight is not finite
    ///   (the previous checkpoint is kept).
    @discardableResult
    public func writeCheckpoint() throws(TrainingError) -> URL {
        for (name, p) in network.namedParameters() where !p.value.withUnsafeBufferPointer({ $0.allSatisfy(\.isFinite) }) {
            throw .nonFiniteWeight(step: step, parameter: name, lastCheckpoint: lastCheckpoint?.path)
        }
        let state = CheckpointState(
            format: CheckpointState.formatTag, version: 1, step: step, configuration: configuration,
            data: data.fingerprint, baseMappingAToB: network.baseMappings.aToB, baseMappingBToA: network.baseMappings.bToA,
            anchorGainsAToB: anchorGains?.aToB, anchorGainsBToA: anchorGains?.bToA,
            exposureAToB: network.targetExposures.aToB, exposureBToA: network.targetExposures.bToA,
            sampler: sampler.state, losses: lastLosses, validation: lastValidation, seconds: secondsBefore + sessionSeconds)
        let url = try CheckpointStore.write(state: state, weights: network.weightArchive(), optimizer: updater.stateArchive(),
                                            in: modelDirectory, keep: configuration.monitoring.keepCheckpoints, fault: checkpointFault)
        lastCheckpoint = url
        return url
    }
}
