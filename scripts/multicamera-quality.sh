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
echo "report: $out/report/report.md"
