#!/usr/bin/env python3
"""Least-squares probes behind Documentation/Ablation.md (exploration only; the package never runs Python).

    python3 tools/ablation/probes.py DATASET [CAMERA_A CAMERA_B]

DATASET is a folder written by `raw2raw synth` (.mat files). For both directions it prints mean
PSNR and mean angular error over the test pairs (metrics as raw2raw's: PSNR on the four packed
channels, angle between (R, mean G, B)) of:
  - the anchor root-polynomial (degree 2) fit, plain and exposure-aligned (one gain per pair);
  - the aligned fit with a target-exposure correction (p98 of the max channel, strength 1);
  - oracles: a per-image gain on the fit, the fit on the test pairs, per-image 4x4 fits, fits per
    illuminant label (from dataset.json);
  - ideas that did not help: rp2 conditioned on the source's grey-world chromaticity, a grey-world
    white-point correction regressed on the anchors, Gaussian blur of the prediction.
Needs numpy and scipy.
"""
import glob, json, os, sys
import numpy as np
import scipy.io as sio
from scipy.ndimage import gaussian_filter

root = sys.argv[1]
A, B = (sys.argv[2], sys.argv[3]) if len(sys.argv) > 3 else ("iphonex-like", "s9-like")
load = lambda p: sio.loadmat(p)["raw_rggb"].astype(np.float64)

def pairs(folder):
    files = sorted(glob.glob(f"{root}/paired/{A}/{folder}/*.mat"))
    return [(load(f), load(f.replace(f"/{A}/", f"/{B}/"))) for f in files], [os.path.basename(f)[:-4] for f in files]

anchors, _ = pairs("anchor-raw-rggb")
tests, test_names = pairs("raw-rggb")
unpaired = {c: [load(f) for f in sorted(glob.glob(f"{root}/unpaired/{c}/raw-rggb/*.mat"))] for c in (A, B)}
labels = {os.path.basename(i["file"]).split(".")[0]: i["illuminant"] for i in json.load(open(f"{root}/dataset.json"))["images"] if i["set"] == "test"}

def rp2(x):
    x = np.clip(x.reshape(-1, 4), 0, None)
    t = [x[:, i] for i in range(4)] + [np.sqrt(x[:, i] * x[:, j]) for i in range(4) for j in range(i + 1, 4)]
    return np.stack(t, 1)
lin = lambda x: x.reshape(-1, 4)

def usable(X, Y): return (Y.max(1) < 0.98) & (X[:, :4].max(1) < 0.98) & (Y.max(1) > 0.002)

def fit(feat, P, aligned=False, iterations=10):
    Xs = [feat(s) for s, _ in P]; Ys = [t.reshape(-1, 4) for _, t in P]; ms = [usable(X, Y) for X, Y in zip(Xs, Ys)]
    g = np.ones(len(P))
    for _ in range(iterations if aligned else 1):
        X = np.concatenate([x[m] for x, m in zip(Xs, ms)]); Y = np.concatenate([y[m] / gi for y, m, gi in zip(Ys, ms, g)])
        M = np.linalg.lstsq(X, Y, rcond=None)[0]
        if not aligned: break
        g = np.array([((x[m] @ M) * y[m]).sum() / ((x[m] @ M) ** 2).sum() for x, y, m in zip(Xs, Ys, ms)])
        g /= np.exp(np.log(g).mean())
    return M

def psnr(p, r): return 10 * np.log10(1 / np.mean((np.clip(p.reshape(-1, 4), 0, 1) - r.reshape(-1, 4)) ** 2))
def angle(p, r):
    p = np.clip(p.reshape(-1, 4), 0, 1); r = r.reshape(-1, 4)
    pv = np.stack([p[:, 0], (p[:, 1] + p[:, 2]) / 2, p[:, 3]], 1); rv = np.stack([r[:, 0], (r[:, 1] + r[:, 2]) / 2, r[:, 3]], 1)
    m = (pv.max(1) > 0.002) & (rv.max(1) > 0.002)
    c = (pv[m] * rv[m]).sum(1) / np.linalg.norm(pv[m], axis=1) / np.linalg.norm(rv[m], axis=1)
    return np.degrees(np.arccos(np.clip(c, -1, 1))).mean()
def p98(x, clip=True): return max(np.quantile((np.clip(x, 0, 1) if clip else np.maximum(x, 0)).reshape(-1, 4).max(1), 0.98), 1e-6)
def greyworld(x):
    p = np.clip(x.reshape(-1, 4), 0, None); v = p[p.max(1) < 0.95].mean(0); g = (v[1] + v[2]) / 2
    return np.array([np.log(v[0] / g), np.log(v[3] / g)])

def report(name, predictions, T):
    r = np.array([(psnr(p, t), angle(p, t)) for p, (_, t) in zip(predictions, T)])
    print(f"  {name:66s} PSNR {r[:, 0].mean():6.2f} dB   angular {r[:, 1].mean():6.3f}°")

for direction in ("A->B", "B->A"):
    P = anchors if direction == "A->B" else [(t, s) for s, t in anchors]
    T = tests if direction == "A->B" else [(t, s) for s, t in tests]
    target_camera = B if direction == "A->B" else A
    print(direction)
    plain, aligned = fit(rp2, P), fit(rp2, P, aligned=True)
    report("anchor rootpoly2 (plain least squares)", [rp2(s) @ plain for s, _ in T], T)
    report("anchor rootpoly2, exposure-aligned", [rp2(s) @ aligned for s, _ in T], T)
    level = np.median([np.log(p98(u)) for u in unpaired[target_camera]])
    report("  + target exposure (p98 of max channel, strength 1)",
           [(rp2(s) @ aligned) * np.exp(level - np.log(p98(rp2(s) @ aligned, clip=False))) for s, _ in T], T)
    def oracle_gain(p, t):
        m = t.reshape(-1, 4).max(1) < 0.98; p = p.copy(); tt = t.reshape(-1, 4)
        return p * (p[m] * tt[m]).sum() / (p[m] ** 2).sum()
    report("oracle: aligned fit + per-image gain from the target", [oracle_gain(rp2(s) @ aligned, t) for s, t in T], T)
    report("oracle: rootpoly2 fitted on the test pairs", [rp2(s) @ fit(rp2, T) for s, _ in T], T)
    report("oracle: 4x4 fitted on each test pair", [lin(s) @ fit(lin, [(s, t)]) for s, t in T], T)
    by_label = [rp2(s) @ fit(rp2, [T[j] for j in range(len(T)) if labels[test_names[j]] == labels[test_names[k]]]) for k, (s, _) in enumerate(T)]
    report("oracle: rootpoly2 fitted per illuminant label on the test pairs", by_label, T)
    # Conditioning on the source's grey-world chromaticity, fitted on the anchors (ridge 1).
    W = np.array([greyworld(s) for s, _ in P]); mu, sd = W.mean(0), W.std(0) + 1e-6
    cond = lambda s: np.concatenate([rp2(s)] + [rp2(s) * w for w in (greyworld(s) - mu) / sd], 1)
    X = np.concatenate([cond(s) for s, _ in P]); Y = np.concatenate([t.reshape(-1, 4) for _, t in P]); m = usable(X, Y)
    R = np.eye(X.shape[1]) * m.sum() * 1e-3; R[:10, :10] = 0
    C = np.linalg.solve(X[m].T @ X[m] + R, X[m].T @ Y[m])
    report("tried: rootpoly2 conditioned on grey-world chromaticity", [cond(s) @ C for s, _ in T], T)
    # White-point residual of the fit regressed (affine) on the source's grey world.
    D = np.array([greyworld(t) - greyworld(rp2(s) @ plain) for s, t in P]); Xw = np.c_[np.ones(len(W)), W]
    Cw = np.linalg.lstsq(Xw, D, rcond=None)[0]
    def white(s):
        p = rp2(s) @ plain; d = np.r_[1, greyworld(s)] @ Cw; p[:, 0] *= np.exp(d[0]); p[:, 3] *= np.exp(d[1]); return p
    report("tried: grey-world white-point correction regressed on anchors", [white(s) for s, _ in T], T)
    def blur(s, sigma):
        img = (rp2(s) @ plain).reshape(s.shape); return np.stack([gaussian_filter(img[..., c], sigma) for c in range(4)], -1)
    report("tried: Gaussian blur (sigma 0.7) of the plain fit", [blur(s, 0.7) for s, _ in T], T)
