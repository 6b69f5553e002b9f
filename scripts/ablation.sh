#!/usr/bin/env bash
# Reproduces Documentation/Ablation.md: two synthetic datasets, the default model with 3 training
# seeds, each part of the default switched off, and the paper's formulation at the same time
# budget; every run is trained and evaluated with the raw2raw command line.
#
#   bash scripts/ablation.sh [OUT]        (default OUT: ablation; about 70 minutes on 2 cores)
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

# The variants (keys left out take the preset's values).
cfg() { echo "$2" > "$OUT/configs/$1.json"; }
cfg default                  '{"preset": "default"}'
cfg no-learned-parts         '{"preset": "default", "model": {"pixelResidual": false, "contextWidth": 0}}'
cfg no-pixel-residual        '{"preset": "default", "model": {"pixelResidual": false}}'
cfg no-context-branch        '{"preset": "default", "model": {"contextWidth": 0}}'
cfg no-cycle                 '{"preset": "default", "lossWeights": {"cycle": 0}}'
cfg deviation-0.5            '{"preset": "default", "lossWeights": {"deviation": 0.5}}'
cfg no-target-exposure       '{"preset": "default", "model": {"predictsTargetExposure": false}}'
cfg no-anchor-alignment      '{"preset": "default", "model": {"alignsAnchorExposure": false}}'
cfg no-exposure-parts        '{"preset": "default", "model": {"alignsAnchorExposure": false, "predictsTargetExposure": false}}'
cfg rootpoly2-base           '{"preset": "default", "model": {"baseMapping": "rootPolynomial2"}}'
cfg previous-default         '{"preset": "default", "lossWeights": {"deviation": 0.5}, "model": {"baseMapping": "rootPolynomial2", "alignsAnchorExposure": false, "predictsTargetExposure": false}}'
cfg paper                    '{"preset": "paper"}'

run() {  # run DATASET VARIANT SEED STEPS
    local ds=$1 variant=$2 seed=$3 steps=$4
    local dir="$OUT/runs/$ds-$variant-s$seed"
    [ -f "$dir/results.json" ] && return 0
    rm -rf "$dir" && mkdir -p "$dir"
    echo "== $ds $variant seed $seed, $steps steps"
    local start=$(date +%s)
    "$BIN" train --dataset "$OUT/$ds" --camera-a iphonex-like --camera-b s9-like --output "$dir/model" \
        --config "$OUT/configs/$variant.json" --seed "$seed" --steps "$steps" --quiet > "$dir/train.log"
    echo $(( $(date +%s) - start )) > "$dir/seconds"
    "$BIN" evaluate --dataset "$OUT/$ds" --camera-a iphonex-like --camera-b s9-like --model "$dir/model" --quiet > "$dir/results.md"
    "$BIN" evaluate --dataset "$OUT/$ds" --camera-a iphonex-like --camera-b s9-like --model "$dir/model" --json --quiet > "$dir/results.json"
}

# The evidence first (the default, three training seeds, both datasets), then the ablations.
for seed in 1 2 3; do for ds in demo second; do run "$ds" default "$seed" 400; done; done
for ds in demo second; do run "$ds" no-learned-parts 1 0; done   # nothing to train: least squares and exposure alone
for variant in no-target-exposure no-anchor-alignment no-exposure-parts previous-default no-pixel-residual \
               no-context-branch no-cycle deviation-0.5 rootpoly2-base; do
    for ds in demo second; do run "$ds" "$variant" 1 400; done
done
# The paper's U-Net pair takes about 2.2 s per step here: 70 steps is the default's time budget.
for ds in demo second; do run "$ds" paper 1 70; done
echo "done: $OUT/runs"
