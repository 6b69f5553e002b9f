"""Makes the MAT-file fixtures of mat-extra/ and the values scipy.io.loadmat reads from them.

Run from this folder: python3 make_mat_fixtures.py   (numpy, scipy). Deterministic.

- mixed.mat / mixed_compressed.mat: written by scipy.io.savemat (do_compression False / True):
  numeric arrays of every class, 1-D, scalar, empty and 4-D arrays, plus a char array, a cell,
  a struct, a sparse matrix and a complex array (which a numeric reader must skip).
- handmade_le.mat / handmade_be.mat: written byte by byte below (little- and big-endian 'IM'/'MI'),
  with features scipy.io.savemat never writes but MATLAB does: small (4-byte packed) data
  elements for short names and tiny arrays, and "compact" storage (a double array stored as
  miUINT8 / miINT16, a single array stored as miINT8).
- <stem>.json: every variable as scipy.io.loadmat returns it: class, shape, and row-major
  values (numeric, real ones only, as Python repr strings so they parse exactly), or the kind
  of the others.
"""
import json, struct, warnings
import numpy as np
import scipy, scipy.io, scipy.sparse

FIXED_HEADER = "MATLAB 5.0 MAT-file, raw2raw test fixture (mat-extra/make_mat_fixtures.py)"


def fix_header(path):
    with open(path, "r+b") as f:
        f.write(FIXED_HEADER.encode().ljust(116, b" "))


def mixed():
    rng = np.random.default_rng(7)
    # Unsupported kinds are interleaved with numeric ones: a reader must skip them.
    return {
        "text": "hello",
        "raw_rggb": rng.random((3, 5, 4)).astype(np.float32),
        "cellvar": np.array([[1.0, "two"]], dtype=object),
        "m_double": np.arange(12, dtype=np.float64).reshape(3, 4) / 8 - 0.5,
        "info": {"a": 1.0, "b": np.arange(3.0)},
        "m_int8": np.array([[-128, -1, 0], [1, 100, 127]], dtype=np.int8),
        "sp": scipy.sparse.csc_matrix(np.array([[0, 1.5], [2.0, 0]])),
        "m_uint8": np.array([[0, 1, 255]], dtype=np.uint8),
        "z": np.array([[1 + 2j, 3 - 4j]]),
        "m_int16": np.array([[-32768, 5], [7, 32767]], dtype=np.int16),
        "m_uint16": np.arange(6, dtype=np.uint16).reshape(2, 3) * 10000,
        "m_int32": np.array([[-2147483648], [2147483647]], dtype=np.int32),
        "m_uint32": np.array([[4294967295, 0]], dtype=np.uint32),
        "m_int64": np.array([[-(2 ** 52), 2 ** 52 - 1]], dtype=np.int64),
        "m_uint64": np.array([[2 ** 53, 3]], dtype=np.uint64),
        "flags": np.array([[True, False, True]]),
        "vector": np.arange(5, dtype=np.float64),  # 1-D: saved as a 1x5 row
        "scalar": np.float64(2.5),
        "empty": np.zeros((0, 0)),
        "four_d": np.arange(120, dtype=np.float32).reshape(2, 3, 4, 5),
    }


# ---- hand-made files -------------------------------------------------------------------------

MI = dict(int8=1, uint8=2, int16=3, uint16=4, int32=5, uint32=6, single=7, double=9, matrix=14)
MX = dict(double=6, single=7, int16=10, int32=12, uint8=9)


def element(e, mdtype, payload, small_ok=True):
    """One data element; small (packed) format when the payload has at most 4 bytes."""
    if small_ok and len(payload) <= 4:
        # Read as a 32-bit word in file order: high 16 bits = size, low 16 bits = type.
        return struct.pack(e + "I", (len(payload) << 16) | mdtype) + payload.ljust(4, b"\0")
    pad = (-len(payload)) % 8
    return struct.pack(e + "II", mdtype, len(payload)) + payload + b"\0" * pad


def matrix(e, name, cls, dims, storage, values_colmajor):
    fmt = {"double": "d", "single": "f", "int8": "b", "uint8": "B", "int16": "h", "int32": "i"}[storage]
    body = element(e, MI["uint32"], struct.pack(e + "II", MX[cls], 0), small_ok=False)
    body += element(e, MI["int32"], struct.pack(e + "%di" % len(dims), *dims), small_ok=False)
    body += element(e, MI["int8"], name.encode())
    body += element(e, MI[storage], struct.pack(e + "%d%s" % (len(values_colmajor), fmt), *values_colmajor))
    return struct.pack(e + "II", MI["matrix"], len(body)) + body


def handmade(path, big_endian):
    e = ">" if big_endian else "<"
    header = FIXED_HEADER.encode().ljust(116, b" ") + b"\0" * 8
    header += struct.pack(e + "H", 0x0100) + (b"MI" if big_endian else b"IM")
    parts = [
        # Double 2x3, normal elements, short name "a" (small element).
        matrix(e, "a", "double", [2, 3], "double", [1.5, -2.0, 3.25, 4.0, 5.0, -6.5]),
        # Single 3x2x2 (values column-major 0..11 / 4).
        matrix(e, "img", "single", [3, 2, 2], "single", [i / 4 for i in range(12)]),
        # int16 1x2: the real part (4 bytes) is a small element.
        matrix(e, "c", "int16", [1, 2], "int16", [-300, 300]),
        # Double class stored compactly as miUINT8 and miINT16 (as MATLAB does).
        matrix(e, "d_u8", "double", [2, 2], "uint8", [0, 255, 7, 128]),
        matrix(e, "d_i16", "double", [1, 3], "int16", [-1000, 0, 1000]),
        # Single class stored as miINT8.
        matrix(e, "s_i8", "single", [1, 2], "int8", [-5, 5]),
        # int32 scalar: small real part.
        matrix(e, "n", "int32", [1, 1], "int32", [123456]),
    ]
    with open(path, "wb") as f:
        f.write(header + b"".join(parts))


def describe(path):
    out = {"file": path, "scipy": scipy.__version__, "numpy": np.__version__, "variables": {}}
    d = scipy.io.loadmat(path, mat_dtype=False)
    classes = scipy.io.loadmat(path, mat_dtype=True)  # dtype of the MATLAB class, not the storage
    for name, v in d.items():
        if name.startswith("__"):
            continue
        if scipy.sparse.issparse(v):
            out["variables"][name] = {"kind": "sparse", "shape": list(v.shape)}
        elif v.dtype.kind in "biuf":
            out["variables"][name] = {"kind": "numeric", "dtype": str(v.dtype),
                                      "class_dtype": np.dtype(classes[name].dtype).newbyteorder("=").name,
                                      "shape": list(v.shape),
                                      # repr strings: exact, whatever JSON parser reads them
                                      "values": [repr(float(x)) for x in np.asarray(v, dtype=np.float64).ravel(order="C")]}
        elif v.dtype.kind == "c":
            out["variables"][name] = {"kind": "complex", "shape": list(v.shape)}
        elif v.dtype.kind == "U":
            out["variables"][name] = {"kind": "char", "shape": list(v.shape)}
        elif v.dtype.names:
            out["variables"][name] = {"kind": "struct", "shape": list(v.shape)}
        else:
            out["variables"][name] = {"kind": str(v.dtype), "shape": list(v.shape)}
    return out


if __name__ == "__main__":
    warnings.filterwarnings("ignore", category=np.exceptions.ComplexWarning)
    scipy.io.savemat("mixed.mat", mixed(), do_compression=False)
    scipy.io.savemat("mixed_compressed.mat", mixed(), do_compression=True)
    for p in ["mixed.mat", "mixed_compressed.mat"]:
        fix_header(p)
    handmade("handmade_le.mat", big_endian=False)
    handmade("handmade_be.mat", big_endian=True)
    for stem in ["mixed", "mixed_compressed", "handmade_le", "handmade_be"]:
        with open(stem + ".json", "w") as f:
            json.dump(describe(stem + ".mat"), f, indent=1, sort_keys=True)
            f.write("\n")
