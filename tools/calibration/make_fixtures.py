#!/usr/bin/env python3
"""Makes the reference fixtures of Tests/CalibrationTests/Fixtures with numpy and scipy.

Run once from the package root (python3 with numpy and scipy):

    python3 tools/calibration/make_fixtures.py [/work/shared/testdata]

Everything written is committed; the Swift tests never run Python. The term lists, the least
squares (numpy.linalg.lstsq, LAPACK gelsd on the full design matrix) and the metrics (SSIM by a
direct 2-D convolution, scipy.signal.convolve2d) are written here independently of the Swift
implementation. The generator is deterministic (fixed seeds).
"""
import itertools
import json
import math
import os
import shutil
import sys

import numpy as np
from scipy.signal import convolve2d

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = os.path.join(ROOT, "Tests", "CalibrationTests", "Fixtures")
TESTDATA = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/testdata"
PACKED = ["r", "gr", "gb", "b"]


# ---------------------------------------------------------------- terms (independent definitions)

def name(exps, root, names):
    if sum(exps) == 0:
        return "1"
    f = [n if e == 1 else f"{n}^{e}" for n, e in zip(names, exps) if e > 0]
    m = "*".join(f)
    return {1: m, 2: f"sqrt({m})", 3: f"cbrt({m})"}[root]


def monomials(nvars, degree):
    """Exponent vectors of the given degree, r^2, r*gr, r*gb, r*b, gr^2, ... order."""
    out = []
    for combo in itertools.combinations_with_replacement(range(nvars), degree):
        e = [0] * nvars
        for i in combo:
            e[i] += 1
        out.append(e)
    return out


def terms_of(kind):
    """List of (exponents, root) over the kind's inputs."""
    if kind == "linear3x3":
        return [([1, 0, 0], 1), ([0, 1, 0], 1), ([0, 0, 1], 1)]
    lin = [(e, 1) for e in monomials(4, 1)]
    if kind == "linear4x4":
        return lin
    if kind == "affine":
        return lin + [([0, 0, 0, 0], 1)]
    if kind == "poly16":
        # The paper's kernel, written out.
        ex = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1],
              [2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 2, 0], [0, 0, 0, 2],
              [1, 1, 0, 0], [1, 0, 1, 0], [1, 0, 0, 1], [0, 1, 1, 0], [0, 1, 0, 1], [0, 0, 1, 1],
              [1, 1, 1, 1], [0, 0, 0, 0]]
        return [(e, 1) for e in ex]
    if kind in ("poly2", "poly3"):
        deg = int(kind[-1])
        t = []
        for d in range(1, deg + 1):
            t += [(e, 1) for e in monomials(4, d)]
        return t + [([0, 0, 0, 0], 1)]
    if kind in ("rootpoly2", "rootpoly3"):
        deg = int(kind[-1])
        t = []
        for d in range(1, deg + 1):
            for e in monomials(4, d):
                if math.gcd(d, *e) == 1:
                    t.append((e, d))
        return t
    raise ValueError(kind)


def inputs_of(kind, x):
    x = np.asarray(x, dtype=np.float64)
    if kind == "linear3x3":
        return np.stack([x[:, 0], (x[:, 1] + x[:, 2]) / 2, x[:, 3]], axis=1)
    return x


def outputs_of(kind, y):
    return inputs_of(kind, y)


def design(kind, x):
    xin = inputs_of(kind, x)
    cols = []
    for e, root in terms_of(kind):
        m = np.ones(len(xin))
        for i, p in enumerate(e):
            m = m * xin[:, i] ** p
        cols.append(m if root == 1 else np.sign(m) * np.abs(m) ** (1.0 / root))
    return np.stack(cols, axis=1)


def term_names(kind):
    names = ["r", "g", "b"] if kind == "linear3x3" else PACKED
    return [name(e, r, names) for e, r in terms_of(kind)]


KINDS = ["linear3x3", "linear4x4", "affine", "poly16", "poly2", "poly3", "rootpoly2", "rootpoly3"]


def lstsq_case(kind, x, y, w=None, ridge=0.0):
    a = design(kind, x)
    b = outputs_of(kind, y)
    if w is None:
        w = np.ones(len(a))
    sw = np.sqrt(w)[:, None]
    aw, bw = a * sw, b * sw
    terms = terms_of(kind)
    if ridge > 0:
        pen = [i for i, (e, _) in enumerate(terms) if sum(e) > 0]
        rows = np.zeros((len(pen), a.shape[1]))
        for k, i in enumerate(pen):
            rows[k, i] = math.sqrt(ridge * w.sum())
        aw2 = np.vstack([aw, rows])
        bw2 = np.vstack([bw, np.zeros((len(pen), b.shape[1]))])
    else:
        aw2, bw2 = aw, bw
    coef, _, rank, sv = np.linalg.lstsq(aw2, bw2, rcond=None)
    resid = aw @ coef - bw
    rmse = np.sqrt((resid ** 2).sum(axis=0) / w.sum())
    return {
        "kind": kind, "ridge": ridge, "weighted": bool(w is not None and not np.all(w == 1)),
        "terms": term_names(kind),
        "coefficients": coef.tolist(), "rank": int(rank), "singular_values": sv.tolist(),
        "rmse": rmse.tolist(),
    }


def write_f64(path, arr):
    np.asarray(arr, dtype="<f8").tofile(path)


def write_f32(path, arr):
    np.asarray(arr, dtype="<f4").tofile(path)


# ---------------------------------------------------------------- metrics (independent definitions)

def gaussian_window(size=11, sigma=1.5):
    r = size // 2
    ax = np.arange(-r, r + 1, dtype=np.float64)
    xx, yy = np.meshgrid(ax, ax)
    g = np.exp(-(xx ** 2 + yy ** 2) / (2 * sigma ** 2))
    return g / g.sum()


def ssim(a, b, data_range=1.0):
    """Wang et al. 2004 (MATLAB ssim_index): 'valid' filtering with the 2-D Gaussian window."""
    w = gaussian_window()
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    f = lambda z: convolve2d(z, np.rot90(w, 2), mode="valid")
    mx, my = f(a), f(b)
    sxx = f(a * a) - mx * mx
    syy = f(b * b) - my * my
    sxy = f(a * b) - mx * my
    m = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx ** 2 + my ** 2 + c1) * (sxx + syy + c2))
    return float(m.mean())


def metrics(pred, ref, thr=0.002):
    p = pred.astype(np.float64)
    r = ref.astype(np.float64)
    d = p - r
    mse = float((d ** 2).mean())
    rgb = lambda z: np.stack([z[..., 0], (z[..., 1] + z[..., 2]) / 2, z[..., 3]], axis=-1).reshape(-1, 3)
    u, v = rgb(p), rgb(r)
    keep = (u.max(axis=1) > thr) & (v.max(axis=1) > thr)
    u, v = u[keep], v[keep]
    cosang = (u * v).sum(1) / (np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1))
    ang = np.degrees(np.arccos(np.clip(cosang, -1, 1)))
    k = (len(ang) + 3) // 4
    g = lambda z: (z[..., 1] + z[..., 2]) / 2
    return {
        "psnr": 10 * math.log10(1.0 / mse), "mae": float(np.abs(d).mean()), "rmse": math.sqrt(mse),
        "angular_mean": float(ang.mean()), "angular_median": float(np.median(ang)),
        "angular_worst25": float(np.sort(ang)[-k:].mean()), "angular_count": int(len(ang)),
        "ssim": ssim(g(p), g(r)),
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20240611)

    # --- least squares on samples (patch API, Double): 300 samples, a smooth non-polynomial target.
    n = 300
    x = rng.uniform(0.02, 0.9, size=(n, 4))
    x[:, 2] = np.clip(x[:, 1] + rng.normal(0, 0.05, n), 0.01, 0.95)  # correlated greens, like a sensor
    mix = np.array([[0.8, 0.15, 0.1, 0.02], [0.1, 0.7, 0.1, 0.05], [0.05, 0.1, 0.75, 0.1], [0.02, 0.05, 0.05, 0.85]])
    y = (x @ mix) ** 1.1 + 0.02 * np.sin(6 * x) + rng.normal(0, 0.005, size=(n, 4))
    w = rng.uniform(0.0, 2.0, size=n)
    write_f64(os.path.join(OUT, "lstsq_source.f64"), x)
    write_f64(os.path.join(OUT, "lstsq_target.f64"), y)
    write_f64(os.path.join(OUT, "lstsq_weights.f64"), w)
    cases = [lstsq_case(k, x, y) for k in KINDS]
    cases.append(lstsq_case("poly16", x, y, w=w))
    cases.append(lstsq_case("rootpoly2", x, y, w=w))
    cases.append(lstsq_case("poly3", x, y, ridge=1e-4))
    cases.append(lstsq_case("affine", x, y, w=w, ridge=1e-3))
    with open(os.path.join(OUT, "lstsq.json"), "w") as f:
        json.dump({"samples": n, "source": "lstsq_source.f64 (300x4 float64 LE row-major)",
                   "target": "lstsq_target.f64", "weights": "lstsq_weights.f64", "cases": cases}, f, indent=1)

    # --- image pair fit (PackedImage API, Float): default mask applied by numpy.
    h, wd = 40, 30
    src = rng.uniform(0.0, 1.0, size=(h, wd, 4)).astype(np.float32) ** 1.5
    src[:3, :, :] = rng.uniform(0, 0.0015, size=(3, wd, 4))           # near-black rows
    tgt = np.clip(src.astype(np.float64) @ mix.T * 1.05 + 0.003 * rng.normal(size=(h, wd, 4)), 0, 1).astype(np.float32)
    tgt[10, :, 1] = 1.0                                                  # a clipped row in the target
    xs, ys = src.reshape(-1, 4).astype(np.float64), tgt.reshape(-1, 4).astype(np.float64)
    ok = lambda z: (z.max(1) < 0.98) & (z.max(1) > 0.002)
    keep = ok(xs) & ok(ys)
    write_f32(os.path.join(OUT, "pair_source.f32"), src)
    write_f32(os.path.join(OUT, "pair_target.f32"), tgt)
    pair_cases = [lstsq_case(k, xs[keep], ys[keep]) for k in ["affine", "rootpoly2", "linear3x3"]]
    with open(os.path.join(OUT, "pair.json"), "w") as f:
        json.dump({"height": h, "width": wd, "total": int(len(xs)), "kept": int(keep.sum()),
                   "source": "pair_source.f32 (40x30x4 float32 LE)", "target": "pair_target.f32",
                   "mask": "drop any channel >= 0.98 or all <= 0.002, source or target", "cases": pair_cases}, f, indent=1)

    # --- metrics: 3 image pairs.
    mh, mw = 24, 20
    preds, refs, per = [], [], []
    for i in range(3):
        ref = rng.uniform(0, 1, size=(mh, mw, 4)).astype(np.float32) ** 2
        ref[0, :5, :] = 0.001                                              # near-black pixels
        pred = np.clip(ref + rng.normal(0, 0.02 * (i + 1), size=ref.shape), 0, 1).astype(np.float32)
        preds.append(pred)
        refs.append(ref)
        per.append(metrics(pred, ref))
    write_f32(os.path.join(OUT, "metrics_prediction.f32"), np.stack(preds))
    write_f32(os.path.join(OUT, "metrics_reference.f32"), np.stack(refs))
    keys = per[0].keys()
    agg = {k: {"mean": float(np.mean([p[k] for p in per])), "median": float(np.median([p[k] for p in per]))}
           for k in keys if k != "angular_count"}
    with open(os.path.join(OUT, "metrics.json"), "w") as f:
        json.dump({"images": 3, "height": mh, "width": mw, "angular_black_threshold": 0.002,
                   "prediction": "metrics_prediction.f32 (3x24x20x4 float32 LE)", "reference": "metrics_reference.f32",
                   "per_image": per, "aggregate": agg}, f, indent=1)

    # --- the paper's mapping_matrix applied to a packed image.
    mat = np.fromfile(os.path.join(TESTDATA, "mat/expected/mapping_matrix.mapping_matrix.f64"), dtype="<f8").reshape(16, 4)
    shutil.copyfile(os.path.join(TESTDATA, "mat/expected/mapping_matrix.mapping_matrix.f64"),
                    os.path.join(OUT, "mapping_matrix.f64"))
    shutil.copyfile(os.path.join(TESTDATA, "mat/mapping_matrix.mat"), os.path.join(OUT, "mapping_matrix.mat"))
    img = np.fromfile(os.path.join(TESTDATA, "mat/expected/raw_rggb_iphonex-like_f32.raw_rggb.f32"), dtype="<f4").reshape(32, 48, 4)
    write_f32(os.path.join(OUT, "paper_input.f32"), img)
    r, gr, gb, b = [img[..., k].astype(np.float64) for k in range(4)]
    phi = np.stack([r, gr, gb, b, r * r, gr * gr, gb * gb, b * b, r * gr, r * gb, r * b, gr * gb, gr * b, gb * b,
                    r * gr * gb * b, np.ones_like(r)], axis=-1)
    mapped = phi @ mat
    write_f64(os.path.join(OUT, "paper_mapped_unclipped.f64"), mapped)
    write_f32(os.path.join(OUT, "paper_mapped.f32"), np.clip(mapped, 0, 1))
    print("fixtures written to", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
