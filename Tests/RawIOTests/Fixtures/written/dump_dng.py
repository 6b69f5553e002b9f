"""Reads a DNG written by raw2raw with independent tools and dumps what they see as JSON.

Usage: python3 dump_dng.py FILE.dng > FILE.json   (tifffile, rawpy/LibRaw, numpy)
"""
import hashlib, json, sys
import numpy as np, rawpy, tifffile


def stats(a):
    """Checks a Swift test can recompute without SHA-256: sums and a few samples."""
    flat = a.astype(np.uint64).ravel()
    weights = np.arange(1, flat.size + 1, dtype=np.uint64)
    h, w = a.shape
    points = [(0, 0), (0, w - 1), (h - 1, 0), (h - 1, w - 1), (h // 2, w // 3), (1, 1)]
    return {"sum": int(flat.sum()), "weighted_sum_mod_2_32": int((flat * weights).sum() % (1 << 32)),
            "min": int(flat.min()), "max": int(flat.max()),
            "samples": [[r, c, int(a[r, c])] for r, c in points],
            "sha256_uint16_le": hashlib.sha256(a.astype("<u2").tobytes()).hexdigest()}

path = sys.argv[1]
out = {"file": path.split("/")[-1], "tools": {"tifffile": tifffile.__version__, "rawpy": rawpy.__version__,
       "libraw": ".".join(map(str, rawpy.libraw_version)), "numpy": np.__version__}}
with tifffile.TiffFile(path) as tif:
    page = tif.pages[0]
    out["byteorder"] = tif.byteorder
    tags = {}
    for tag in page.tags.values():
        v = tag.value
        if tag.code == 34665:  # ExifIFD: tifffile returns the parsed dict
            v = {k: (list(x) if isinstance(x, tuple) else (x.decode() if isinstance(x, bytes) else x)) for k, x in v.items()}
        elif isinstance(v, bytes):
            v = list(v)
        elif isinstance(v, tuple):
            v = [list(x) if isinstance(x, tuple) else x for x in v]
        elif hasattr(v, "value"):  # enums
            v = int(v.value)
        elif isinstance(v, np.ndarray):
            v = v.tolist()
        tags[str(tag.code)] = {"name": tag.name, "type": int(tag.dtype.value) if hasattr(tag.dtype, "value") else int(tag.dtype),
                               "count": tag.count, "value": v}
    out["tifffile_tags"] = tags
    data = page.asarray()
    out["tifffile_image"] = {"shape": list(data.shape), "dtype": str(data.dtype), **stats(data)}
with rawpy.imread(path) as raw:
    vis = raw.raw_image_visible
    pat = raw.raw_pattern
    bl = raw.black_level_per_channel
    out["rawpy"] = {
        "width": int(vis.shape[1]), "height": int(vis.shape[0]),
        "cfa": "".join(raw.color_desc.decode()[pat[r][c]] for r in range(2) for c in range(2)),
        "black_levels_cfa": [int(bl[pat[r][c]]) for r in range(2) for c in range(2)],
        "white_level": int(raw.white_level),
        "camera_whitebalance": [float(x) for x in raw.camera_whitebalance],
        "visible": stats(vis),
    }
print(json.dumps(out, indent=1, sort_keys=True))
