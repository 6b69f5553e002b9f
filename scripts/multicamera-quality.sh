#!/usr/bin/env bash
# The multi-camera runs of Documentation/Quality.md: a synthetic dataset of N cameras with a given
# anchor topology, one multi-camera model (--steps, the demo's budget by default), a two-camera model
# of every pair that shares anchors (the reference the multi-camera pairs are held to), and the
# evaluation of every ordered pair.
#
#   scripts/multicamera-quality.sh OUT CAMERAS TOPOLOGY [SEED] [STEPS]
#   scripts/multicamera-quality.sh /tmp/mc3 3 chain 1 400
#
# Rerunning resumes: the dataset keeps its files, finished models are kept.
set -euo pipefail
out=${1:?usage: $0 OUT CAMERAS TOPOLOGY [SEED] [STEPS]}
n=${2:?cameras}
topology=${3:?topology}
seed=${4:-1}
steps=${5:-400}
bin=${RAW2RAW:-.build/release/raw2raw}
[ -x "$bin" ] || swift build -c release --product raw2raw
cameras=$(seq -s, -f 'cam%g' 1 "$n")
"$bin" synth --out "$out/data" --cameras "$n" --topology "$topology" --unpaired 60 --anchors 8 --test 30 \
    --size 128x96 --seed "$seed" --quiet
"$bin" train --dataset "$out/data" --cameras "$cameras" --steps "$steps" -o "$out/model" --resume --quiet
"$bin" evaluate --dataset "$out/data" --cameras "$cameras" --model "$out/model" --out "$out/report" --quiet
# Two-camera models of the pairs that share anchors, evaluated alone.
python3 - "$out/model/cameras.json" > "$out/direct-pairs.txt" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for p in d["pairs"]:
    if p["source"] == "anchors":
        print(p["cameraA"], p["cameraB"])
PY
while read -r a b; do
    "$bin" train --dataset "$out/data" --camera-a "$a" --camera-b "$b" --steps "$steps" -o "$out/two-camera/$a-$b" --resume --quiet \
        > "$out/two-camera-$a-$b.log"
    "$bin" evaluate --dataset "$out/data" --camera-a "$a" --camera-b "$b" --model "$out/two-camera/$a-$b" --quiet \
        > "$out/two-camera-$a-$b.md"
done < "$out/direct-pairs.txt"
# One row per ordered pair: the best least-squares baseline, the model, its pairs chained, the two-camera model.
python3 - "$out" > "$out/summary.md" <<'PY'
import json, os, re, sys
out = sys.argv[1]
rows = json.load(open(os.path.join(out, "report/results.json")))["results"]
two = {}
for name in os.listdir(out):
    m = re.fullmatch(r"two-camera-(.+)-(.+)\.md", name)
    if not m: continue
    a, b = m.group(1), m.group(2)
    for line in open(os.path.join(out, name)):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) > 2 and cells[0] == "learned":
            src, dst = (a, b) if cells[1] == "A->B" else (b, a)
            two[f"{src}->{dst}"] = float(cells[2].strip("*"))
print("| direction | anchors | best least-squares baseline | dB | learned-chain | learned | margin over least squares | two-camera model |")
print("|---|---|---|---:|---:|---:|---:|---:|")
directions = []
for r in rows:
    if r["direction"] not in directions: directions.append(r["direction"])
for d in directions:
    here = [r for r in rows if r["direction"] == d]
    learned = next(r for r in here if r["method"] == "learned")
    chain = next((r for r in here if r["method"] == "learned-chain"), None)
    base = max((r for r in here if r["method"] not in ("identity", "learned", "learned-chain")), key=lambda r: r["psnr"])
    anchors = f"{learned['sharedAnchors']} shared" if learned["sharedAnchors"] else "none, via " + "->".join(learned["path"])
    print(f"| {d} | {anchors} | {base['method']} | {base['psnr']:.2f} | {chain['psnr']:.2f} |" if chain else f"| {d} | {anchors} | {base['method']} | {base['psnr']:.2f} | |",
          f"{learned['psnr']:.2f} | {learned['psnr'] - base['psnr']:+.2f} | {two[d]:.2f} |" if d in two else f"{learned['psnr']:.2f} | {learned['psnr'] - base['psnr']:+.2f} | |")
PY
cat "$out/summary.md"
echo "report: $out/report/report.md"
