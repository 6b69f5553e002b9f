#!/bin/sh
# One shard of a batch mapping: the command every task of a Slurm job array
# (scripts/slurm-map.sbatch) and every pod of a Kubernetes Indexed Job (scripts/k8s-map-job.yaml)
# runs. The shard comes from the scheduler's variables (--shard auto); a rerun continues where a
# killed run stopped (--skip-existing). See Documentation/Scaling.md.
#   RAW2RAW        the raw2raw executable (default: raw2raw on PATH)
#   MODEL          the model folder (from raw2raw train)
#   TARGET_CAMERA  the camera to map into
#   INPUT_DIR      the folder of .mat and .dng files to map, the same for every shard
#   OUTPUT_DIR     the output folder, shared by every shard
#   JOBS           files this shard maps at once (default 1)
set -eu
exec "${RAW2RAW:-raw2raw}" map --model "$MODEL" --to "$TARGET_CAMERA" \
    --shard auto --skip-existing --jobs "${JOBS:-1}" -o "$OUTPUT_DIR" "$INPUT_DIR"
