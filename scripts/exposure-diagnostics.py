#!/usr/bin/env python3
"""Exposure diagnostics of mapped test images (a development tool; needs NumPy, not the package).

Usage: exposure-diagnostics.py DATASET CAMERA_A CAMERA_B MAPPED_A_TO_B MAPPED_B_TO_A

DATASET has the paper's layout; MAPPED_* are folders of .mat files written by
`raw2raw map` for the test images of camera A (into B) and of camera B (into A).
For each direction it prints, next to the same numbers for the single calibration
(a 3x3 fitted by least squares on the first anchor pair by name, clipped):

- PSNR: mean over test pairs;
- exposure-corrected PSNR: each mapped image times the one gain that best fits its
  target (least squares on pixels where no channel of either reaches 0.98), clipped;
  what is left is colour and spatial error, not the image's overall exposure;
- within-image exposure spread: the standard deviation, over the 16x16 blocks of one
  image, of each block's best log2 gain, averaged over images. A global mapping gives
  every block nearly the same gain; a network whose brightness depends on local content
  does not.
"""
import glob, os, struct, sys
import numpy as np


def read_mat(path):
    """The one variable of an uncompressed MATLAB v5 file (as raw2raw and scipy write them)."""
    b = open(path, 'rb').read()
    off = 128 + 8                                    # header, then the miMATRIX tag
    _, n = struct.unpack('<II', b[off:off + 8]); off += 8 + n   # array flags
    _, n = struct.unpack('<II', b[off:off + 8]); off += 8
    dims = struct.unpack('<%di' % (n // 4), b[off:off + n]); off += n + (-n % 8)
    tag = struct.unpack('<I', b[off:off + 4])[0]
    if tag >> 16:                                    # name in a small data element
        off += 8
    else:
        n = struct.unpack('<I', b[off + 4:off + 8])[0]; off += 8 + n + (-n % 8)
    kind, n = struct.unpack('<II', b[off:off + 8]); off += 8
    dtype = {7: np.float32, 9: np.float64, 4: np.uint16, 2: np.uint8}[kind]
    a = np.frombuffer(b[off:off + n], dtype=dtype).astype(np.float64)
    return a.reshape(dims[::-1]).transpose(list(range(len(dims)))[::-1])   # column-major


def psnr(p, t):
    return 10 * np.log10(1 / np.mean((p - t) ** 2))


def best_gain(p, t):
    m = (p.max(-1) < 0.98) & (t.max(-1) < 0.98)
    return (p[m] * t[m]).sum() / max((p[m] ** 2).sum(), 1e-12)


def block_spread(p, t, side=16):
    gains = []
    for y in range(0, p.shape[0] - side + 1, side):
        for x in range(0, p.shape[1] - side + 1, side):
            q, r = p[y:y + side, x:x + side], t[y:y + side, x:x + side]
            if q.max() < 0.98 and r.max() < 0.98 and (q ** 2).sum() > 0:
                gains.append(np.log2((q * r).sum() / (q ** 2).sum()))
    return np.std(gains) if gains else np.nan


def main(root, cam_a, cam_b, out_ab, out_ba):
    for label, src, dst, out in (('A->B', cam_a, cam_b, out_ab), ('B->A', cam_b, cam_a, out_ba)):
        first = sorted(glob.glob(f'{root}/paired/{src}/anchor-raw-rggb/*.mat'))[0]
        a = read_mat(first).reshape(-1, 4)
        b = read_mat(first.replace(f'/{src}/', f'/{dst}/')).reshape(-1, 4)
        matrix = np.linalg.lstsq(a, b, rcond=None)[0]
        rows = []
        for f in sorted(glob.glob(f'{root}/paired/{src}/raw-rggb/*.mat')):
            s, t = read_mat(f), read_mat(f.replace(f'/{src}/', f'/{dst}/'))
            mapped = read_mat(os.path.join(out, os.path.basename(f)))
            single = np.clip(s.reshape(-1, 4) @ matrix, 0, 1).reshape(t.shape)
            row = []
            for p in (single, mapped):
                g = best_gain(p, t)
                row += [psnr(p, t), psnr(np.clip(g * p, 0, 1), t), block_spread(p, t)]
            rows.append(row)
        r = np.nanmean(np.array(rows), 0)
        print(f'{label}: single calibration PSNR {r[0]:.2f} dB, exposure-corrected {r[1]:.2f} dB, '
              f'within-image spread {r[2]:.3f} stop | mapped PSNR {r[3]:.2f} dB, exposure-corrected {r[4]:.2f} dB, '
              f'within-image spread {r[5]:.3f} stop ({len(rows)} pairs)')


if __name__ == '__main__':
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    main(*sys.argv[1:])
