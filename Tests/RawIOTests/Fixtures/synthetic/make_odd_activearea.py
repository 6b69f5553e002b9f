#!/usr/bin/env python3
"""Writes odd-activearea-rggb.dng: a tiny uncompressed Bayer DNG whose ActiveArea starts at (1, 1).

Used to pin down the CFA and black-level coordinate conventions of the reader (see
BayerImage+Reading.swift, RawDecoder.pattern and RawDecoder.blackLevels). Written with Python's
struct module only (no raw library involved), so the file says exactly what this script says:

- stored image 64 x 48, BitsPerSample 16, one strip, CFARepeatPatternDim 2x2, CFAPattern RGGB;
- ActiveArea (top, left, bottom, right) = (1, 1, 46, 62);
- BlackLevelRepeatDim 2x2, BlackLevel [10, 20, 30, 40] (row-major); WhiteLevel 8000;
- both patterns are anchored at the ActiveArea's top-left corner, as the DNG SDK applies them
  (the linearized stage-2 image is the ActiveArea, and CFA and black patterns repeat from its
  origin). Each sample encodes its colour plus its black level under that reading: with
  (ar, ac) = ((row - 1) % 2, (col - 1) % 2) the position in the 2x2 tile relative to the
  ActiveArea, value = 1000 * (2 * ar + ac) + 500 + BlackLevel[2 * ar + ac]: after black
  subtraction, 500 at R sites, 1500 at greens on R rows, 2500 at greens on B rows, 3500 at B.

Deterministic: re-running gives identical bytes.
"""
import struct

W, H = 64, 48
AA = (1, 1, 46, 62)


def main(path="odd-activearea-rggb.dng"):
    black = [10, 20, 30, 40]

    def sample(r, c):
        k = 2 * ((r - AA[0]) % 2) + (c - AA[1]) % 2
        return 1000 * k + 500 + black[k]

    pix = b"".join(struct.pack("<H", sample(r, c)) for r in range(H) for c in range(W))
    entries = [
        (254, 4, [0]), (256, 4, [W]), (257, 4, [H]), (258, 3, [16]), (259, 3, [1]), (262, 3, [32803]),
        (271, 2, b"TestData\0"), (272, 2, b"OddActiveArea\0"),
        (273, 4, [0]), (277, 3, [1]), (278, 4, [H]), (279, 4, [len(pix)]), (284, 3, [1]),
        (33421, 3, [2, 2]), (33422, 1, [0, 1, 1, 2]),
        (50706, 1, [1, 4, 0, 0]), (50708, 2, b"TestData OddActiveArea\0"),
        (50713, 3, [2, 2]), (50714, 4, black), (50717, 4, [8000]),
        (50721, 10, [1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 1]),
        (50778, 3, [21]),
        (50829, 4, list(AA)),
    ]
    entries.sort()
    fmt = {1: "B", 3: "H", 4: "I", 10: "i"}
    n = len(entries)
    data_start = 8 + 2 + 12 * n + 4
    table, blob, strip_entry = b"", b"", None
    for tag, typ, vals in entries:
        if typ == 2:
            raw, count = vals, len(vals)
        else:
            raw = b"".join(struct.pack("<" + fmt[typ], v) for v in vals)
            count = len(vals) // 2 if typ == 10 else len(vals)
        if tag == 273:
            strip_entry = len(table)
        if len(raw) <= 4:
            table += struct.pack("<HHI", tag, typ, count) + raw.ljust(4, b"\0")
        else:
            table += struct.pack("<HHII", tag, typ, count, data_start + len(blob))
            blob += raw + (b"\0" if len(raw) % 2 else b"")
    table = bytearray(table)
    struct.pack_into("<I", table, strip_entry + 8, data_start + len(blob))
    with open(path, "wb") as f:
        f.write(b"II*\0" + struct.pack("<I", 8) + struct.pack("<H", n) + bytes(table) + b"\0\0\0\0" + blob + pix)


if __name__ == "__main__":
    main()
