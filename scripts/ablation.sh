#!/usr/bin/env bash
# Reproduces Documentation/Ablation.md: two synthetic datasets, the default model and the default
# with the U-Net residual with 3 training seeds each, each part switched off, and the paper's
# formulation; every run is trained and evaluated with the raw2raw command line.
#
#   bash scripts/ablation.sh [OUT]        (default OUT: ablation; about 75 minutes on 2 cores)
#
# Each run leaves OUT/runs/<dataset>-<variant>-s<seed>/ with the model, train.log (the training
# summary), seconds (wall-clock training time) and results.md / results.json (raw2raw evaluate).
# Rerunning skips runs whose results.json exists.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-ablation}
swift build -c release --product raw2raw >/dev/null
BIN=$(swift build -c release --show-bin-path)/raw2raw
mkdir -p "$OUT/configs" "$OUT/runs"

# The datasets: the demo's (seed 1, all ten illuminants, 35 % mixtures) and a second one with
# another seed and illuminant mix (seven illuminants, 50 % mixtures).
"$BIN" synth --out "$OUT/demo" --seed 1 --quiet
"$BIN" synth --out "$OUT/second" --seed 7 --illuminants A D65 FL2 FL7 FL11 LED-B3 LED-RGB1 --mixture-probability 0.5 --quiet

# The variants (keys left out take the preset's values). The parts were switched off one at a
# time from the default with the per-pixel U-Net residual on (the configuration before it was
# measured not to pay for itself), so those variants set it explicitly.
cfg() { echo "$2" > "$OUT/configs/$1.json"; }
cfg default                  '{"preset": "default"}'
cfg with-pixel-residual      '{"preset": "default", "model": {"pixelResidual": true}}'
cfg no-learned-parts         '{"preset": "default", "model": {"pixelResidual": false, "contextWidth": 0}}'
cfg no-context-branch        '{"preset": "default", "model": {"pixelResidual": true, "contextWidth": 0}}'
cfg no-cycle                 '{"preset": "default", "lossWeights": {"cycle": 0}, "model": {"pixelResidual": true}}'
cfg no-target-exposure       '{"preset": "default", "model": {"pixelResidual": true, "predictsTargetExposure": false}}'
cfg no-anchor-alignment      '{"preset": "default", "model": {"pixelResidual": true, "alignsAnchorExposure": false}}'
cfg no-exposure-parts        '{"preset": "default", "model": {"pixelResidual": true, "alignsAnchorExposure": false, "predictsTargetExposure": false}}'
cfg previous-default         '{"preset": "default", "lossWeights": {"deviation": 0.5}, "model": {"pixelResidual": true, "baseMapping": "rootPolynomial2", "alignsAnchorExposure": false, "predictsTargetExposure": false}}'
cfg paper                    '{"preset": "paper"}'

run() {  # run DATASET VARIANT SEED STEPS [NAME]
    local ds=$1 variant=$2 seed=$3 steps=$4 name=${5:-$2}
    local dir="$OUT/runs/$ds-$name-s$seed"
    [ -f "$dir/results.json" ] && return 0
    rm -rf "$dir" && mkdir -p "$dir"
    echo "== $ds $name seed $seed, $steps steps"
    local start=$(date +%s)
    "$BIN" train --dataset "$OUT/$ds" --camera-a iphonex-like --camera-b s9-like --output "$dir/model" \
        --config "$OUT/configs/$variant.json" --seed "$seed" --steps "$steps" --quiet > "$dir/train.log"
    echo $(( $(date +%s) - start )) > "$dir/seconds"
    "$BIN" evaluate --dataset "$OUT/$ds" --camera-a iphonex-like --camera-b s9-like --model "$dir/model" --quiet > "$dir/results.md"
    "$BIN" evaluate --dataset "$OUT/$ds" --camera-a iphonex-like --camera-b s9-like --model "$dir/model" --json --quiet > "$dir/results.json.tmp"
    mv "$dir/results.json.tmp" "$dir/results.json"
}

# The evidence first (the default and the default with the U-Net residual, three training seeds,
# both datasets), then the ablations.
for seed in 1 2 3; do for ds in demo second; do
    run "$ds" default "$seed" 400
    run "$ds" with-pixel-residual "$seed" 400
done; done
for ds in demo second; do run "$ds" no-learned-parts 1 0; done   # nothing to train: least squares and exposure alone
for variant in no-target-exposure no-anchor-alignment no-exposure-parts previous-default no-context-branch no-cycle; do
    for ds in demo second; do run "$ds" "$variant" 1 400; done
done
# The paper's U-Net pair: 70 steps (under a minute here) and 300 steps (about the default's time with the residual).
for ds in demo second; do run "$ds" paper 1 70 paper-70; run "$ds" paper 1 300 paper-300; done
echo "done: $OUT/runs"
