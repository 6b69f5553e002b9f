#!/usr/bin/env python3
"""Tables of Documentation/Ablation.md from the runs of scripts/ablation.sh (standard library only).

    python3 tools/ablation/summarize.py OUT/runs

For every run: training seconds, and per direction the learned model's mean PSNR and mean angular
error with their margins against the strongest evaluated baseline (highest PSNR, lowest angular
error; identity excluded), as Markdown.
"""
import json, os, sys

runs = sys.argv[1]
print("| run | training (s) | A->B PSNR (dB) | vs best baseline | A->B angular (°) | vs best baseline | B->A PSNR (dB) | vs best baseline | B->A angular (°) | vs best baseline |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for name in sorted(os.listdir(runs)):
    path = os.path.join(runs, name, "results.json")
    if not os.path.exists(path):
        continue
    try:
        results = json.load(open(path))["results"]
    except (ValueError, KeyError):
        continue  # a run still being evaluated
    seconds = open(os.path.join(runs, name, "seconds")).read().strip()
    cells = [name, seconds]
    for direction in ("A->B", "B->A"):
        rows = [r for r in results if r["direction"] == direction]
        learned = next(r for r in rows if r["method"] == "learned")
        baselines = [r for r in rows if r["method"] not in ("learned", "identity")]
        best_psnr = max(baselines, key=lambda r: r["psnr"])
        best_angle = min(baselines, key=lambda r: r["angularErrorMean"])
        cells += [f"{learned['psnr']:.2f}", f"{learned['psnr'] - best_psnr['psnr']:+.2f} ({best_psnr['method']})",
                  f"{learned['angularErrorMean']:.3f}", f"{learned['angularErrorMean'] - best_angle['angularErrorMean']:+.3f} ({best_angle['method']})"]
    print("| " + " | ".join(cells) + " |")
