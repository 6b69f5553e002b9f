#!/usr/bin/env python3
"""Times rawpy on the benchmark's DNG, for a one-off comparison with the RawIO benchmarks.

Not part of the package (which never needs Python): `pip install rawpy`, then
`python3 Benchmarks/Scripts/rawpy_read_pack.py`. Prints the median MPix/s of
(1) rawpy.imread + raw_image_visible (a copy, like RawIO's samples) and
(2) that plus packing to H/2 x W/2 x 4 float32 with numpy (R, Gr, Gb, B; per-position black;
    computed in float64, stored as float32, like BayerImage.packed()).
"""
import pathlib
import statistics
import time

import numpy as np
import rawpy

PATH = pathlib.Path(__file__).resolve().parents[2] / "Tests/RawIOTests/Fixtures/dng/rggb-14bit-b64-1024x768.dng"


def read():
    with rawpy.imread(str(PATH)) as raw:
        visible = raw.raw_image_visible.copy()
        colors = raw.raw_colors_visible[:2, :2].copy()
        blacks = raw.black_level_per_channel
        white = raw.white_level
    return visible, colors, blacks, white


def pack(visible, colors, blacks, white):
    h2, w2 = visible.shape[0] // 2, visible.shape[1] // 2
    # Colour index 0 R, 1 G, 2 B, 3 G2; Gr is the green on the red row.
    red_row = 0 if 0 in colors[0] else 1
    positions = {}
    for dy in range(2):
        for dx in range(2):
            c = colors[dy, dx]
            name = {0: "R", 2: "B"}.get(c, "Gr" if dy == red_row else "Gb")
            positions[name] = (dy, dx, blacks[c])
    out = np.empty((h2, w2, 4), np.float32)
    for k, name in enumerate(["R", "Gr", "Gb", "B"]):
        dy, dx, b = positions[name]
        plane = visible[dy:2 * h2:2, dx:2 * w2:2].astype(np.float64)
        out[..., k] = np.clip((plane - b) / (white - b), 0, 1)
    return out


def rate(fn, pixels, seconds=3.0):
    rates = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or len(rates) < 5:
        t = time.perf_counter()
        fn()
        rates.append(pixels / (time.perf_counter() - t) / 1e6)
    return statistics.median(rates), len(rates)


if __name__ == "__main__":
    visible, *_ = read()
    pixels = visible.size
    r1, n1 = rate(read, pixels)
    r2, n2 = rate(lambda: pack(*read()), pixels)
    print(f"rawpy {rawpy.__version__} (LibRaw {'.'.join(map(str, rawpy.libraw_version))}), numpy {np.__version__}")
    print(f"rawpy read (imread + raw_image_visible): {r1:.0f} MPix/s (median of {n1})")
    print(f"rawpy read + numpy pack: {r2:.0f} MPix/s (median of {n2})")
