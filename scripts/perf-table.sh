#!/usr/bin/env bash
# The performance table of Documentation/Performance.md, measured in one session: our
# convolution, training-step and sgemm-reference benchmarks (TensorBenchmarks), our paper-model
# inference (ModelBenchmarks), then the PyTorch reference script given as argument, run with 2
# threads in NCHW. Prints one row per figure: ours, PyTorch (or sgemm), ratio.
#
#   scripts/perf-table.sh PYTORCH_SCRIPT [PYTHON]
#
# PYTHON is an interpreter with torch installed (default: python3). Run it on a quiet machine:
# figures taken while other processes compete for the cores are not comparable. Not used by CI.
set -euo pipefail

if [[ $# -lt 1 || ! -f "$1" ]]; then
    echo "usage: $0 PYTORCH_SCRIPT [PYTHON]   (the PyTorch reference script given as argument)" >&2
    exit 2
fi
torch_script=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
python=${2:-python3}
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d "${TMPDIR:-/tmp}/raw2raw-perf-table.XXXXXX")
echo "raw outputs in $out; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

cd "$root/Benchmarks"
swift package --allow-writing-to-package-directory benchmark --target TensorBenchmarks --format markdown \
    --filter 'reference: cblas_sgemm 1024\^3|conv2d 3x3 fwd\+bwd batch 8 (32->32 128x128|64->64 64x64)|reference: cblas_sgemm conv-shaped (32x16384|64x4096)x.*|training step: U-Net pair.*' \
    | tee "$out/tensor.md"
swift package --allow-writing-to-package-directory benchmark --target ModelBenchmarks --format markdown \
    --filter 'inference: paper model, 1024x768 packed, tiled' \
    | tee "$out/model.md"
cd "$root"
"$python" "$torch_script" --threads 2 | tail -n 1 | tee "$out/torch.json"
# The reference script times one convolution shape (32->32, 128x128); the 64->64, 64x64 row is timed
# here the same way: nn.Conv2d 3x3 padding 1 with bias, batch 8, forward + backward, median of 10 after 3 warm-ups.
"$python" - <<'PY' | tee "$out/torch-conv64.json"
import json, statistics, time, torch
torch.set_num_threads(2)
torch.manual_seed(0)
conv = torch.nn.Conv2d(64, 64, 3, padding=1, bias=True)
x = torch.rand(8, 64, 64, 64).requires_grad_(True)
g = torch.rand(8, 64, 64, 64)
times = []
for i in range(13):
    x.grad = None; conv.zero_grad(set_to_none=True)
    t0 = time.perf_counter()
    conv(x).backward(g)
    if i >= 3: times.append(time.perf_counter() - t0)
print(json.dumps({"conv64_fwdbwd_GFLOPs": 3 * 2 * 8 * 64 * 64 * 64 * 64 * 9 / 1e9 / statistics.median(times)}))
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$out/tensor.md" "$out/model.md" "$out/torch.json" "$out/torch-conv64.json" <<'EOF'
import json, re, sys

def parse(path):
    """{benchmark name: {metric description: p50}} from package-benchmark's markdown output."""
    results, name = {}, None
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if line.startswith("### "):
            name = re.sub(r"\s+metrics$", "", line[4:]).strip()
            results[name] = {}
        elif name and line.startswith("|") and not set(line) <= set("|-: "):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if len(cells) > 3 and cells[0] not in ("Metric", ""):
                try:
                    results[name][cells[0]] = float(cells[3])   # p50
                except ValueError:
                    pass
    return results

def metric(results, name, prefix):
    for key, value in results.get(name, {}).items():
        if key.startswith(prefix):
            return value, key
    sys.exit(f"no '{prefix}' for '{name}' in the benchmark output")

def seconds(results, name):
    value, key = metric(results, name, "Time (wall clock)")
    unit = re.search(r"\((ns|μs|us|ms|s)\)", key)
    scale = {"ns": 1e-9, "μs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0}[unit.group(1) if unit else "ns"]
    return value * scale

tensor, model = parse(sys.argv[1]), parse(sys.argv[2])
torch = json.loads(open(sys.argv[3]).read())
conv64 = json.loads(open(sys.argv[4]).read())
sgemm = metric(tensor, "reference: cblas_sgemm 1024^3", "GFLOP/s")[0]
rows = [("matmul reference: cblas_sgemm 1024^3 (2 threads), GFLOP/s", sgemm, None, None)]
for c, s in [(32, 128), (64, 64)]:
    ours = metric(tensor, f"conv2d 3x3 fwd+bwd batch 8 {c}->{c} {s}x{s}", "GFLOP/s")[0]
    ref = torch["conv_fwdbwd_GFLOPs"] if (c, s) == (32, 128) else conv64["conv64_fwdbwd_GFLOPs"]
    rows.append((f"conv2d 3x3 fwd+bwd batch 8 {c}->{c} {s}x{s}, GFLOP/s (vs PyTorch; vs sgemm {ours / sgemm:.2f}x)",
                 ours, ref, ours / ref if ref else None))
step = seconds(tensor, "training step: U-Net pair 32-64-128, 8+8 unpaired + 4 anchor pairs, 128x128, Adam")
rows.append(("paper training step, s (ratio: our time / PyTorch's)", step, torch["train_step_median_s"],
             step / torch["train_step_median_s"]))
kpix = metric(model, "inference: paper model, 1024x768 packed, tiled", "kPix/s")[0]
inference = 1024 * 768 / (kpix * 1000)
rows.append(("paper inference D_B(E_A(x)) 1024x768, s (ratio: our time / PyTorch's)", inference, torch["infer_median_s"],
             inference / torch["infer_median_s"]))
print()
print("| figure | ours | PyTorch (2 threads, NCHW) | ratio |")
print("|---|---|---|---|")
for figure, ours, ref, ratio in rows:
    f = lambda v, d: "" if v is None else f"{v:.{d}f}"
    print(f"| {figure} | {f(ours, 2)} | {f(ref, 2)} | {f(ratio, 2)} |")
EOF
