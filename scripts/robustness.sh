#!/usr/bin/env bash
# The long robustness pass (Documentation/Reliability.md, "Robustness"): seeded mutations of every
# input format raw2raw reads, run by `raw2raw robustness` in child processes of BATCH cases, so a
# crash ends one child only. A crashed case (seed + index, reproducible) and a case that runs past
# the time limit (a hang) are recorded and the pass restarts at the next case.
#
#   bash scripts/robustness.sh [OUT]      (default OUT: robustness; 11,900 cases, about a minute on 2 idle cores)
#
# Environment: SEED (1), CASES per built-in stream (1500), BATCH (250 cases per child process),
# TIME_LIMIT (20 s per case), BIN (a raw2raw binary; default: build one, release, in .build-fuzz).
# Streams: the seven formats on their built-in seeds, plus the test fixtures as seeds (DNGs of
# several layouts and bit packings, a real camera DNG, the MAT files of the paper's format, a
# safetensors file written by the reference implementation).
#
# OUT/<stream>.tsv holds one line per case (format, seed, index, outcome, ms, seed input and
# mutation); OUT/findings.txt every crash, hang and finding with the command that reproduces it;
# OUT/summary.md the table of Documentation/Reliability.md. Exit status 1 when there is any.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-robustness}
SEED=${SEED:-1}
CASES=${CASES:-1500}
BATCH=${BATCH:-250}
TIME_LIMIT=${TIME_LIMIT:-20}
if [ -z "${BIN:-}" ]; then
    swift build -c release --scratch-path .build-fuzz --product raw2raw >/dev/null || exit 2
    BIN=.build-fuzz/release/raw2raw
fi
mkdir -p "$OUT"
: > "$OUT/findings.txt"
ROWS=()

# run_stream NAME FORMAT CASES [INPUT...]
run_stream() {
    local name=$1 format=$2 total=$3
    shift 3
    local inputs=()
    for f in "$@"; do inputs+=(--input "$f"); done
    local log="$OUT/$name.tsv" err="$OUT/$name.stderr"
    : > "$log"; : > "$err"
    local start=0 crashes=0 hangs=0 began=$SECONDS
    while [ "$start" -lt "$total" ]; do
        local n=$(( total - start < BATCH ? total - start : BATCH ))
        timeout -s KILL $(( n * TIME_LIMIT + 120 )) \
            "$BIN" robustness --format "$format" --seed "$SEED" --start "$start" --cases "$n" \
            --time-limit "$TIME_LIMIT" "${inputs[@]}" >> "$log" 2> "$err.batch"
        local rc=$?
        cat "$err.batch" >> "$err"
        local last
        last=$(awk -F'\t' -v s="$start" '$1 !~ /^#/ && $3 >= s && $4 != "HANG" { m = $3 } END { print (m == "" ? s - 1 : m) }' "$log")
        if [ "$last" -eq $(( start + n - 1 )) ]; then
            # Every case of the batch finished; a failure after them is the process's, not a case's.
            [ "$rc" -le 1 ] || echo "EXIT  $name: the child process of cases $start-$last exited with status $rc after its last case" >> "$OUT/findings.txt"
            start=$(( start + n ))
            continue
        fi
        local case=$(( last + 1 ))
        local repro="$BIN robustness --format $format --seed $SEED --start $case --cases 1 ${inputs[*]}"
        if [ "$rc" -eq 3 ]; then
            hangs=$(( hangs + 1 ))
            echo "HANG  $name case $case (over $TIME_LIMIT s): $(awk -F'\t' -v i="$case" '$3 == i && $4 == "HANG" { print $6 }' "$log")" >> "$OUT/findings.txt"
        else
            crashes=$(( crashes + 1 ))
            printf '%s\t%s\t%s\tCRASH exit %s\t-\t-\n' "$format" "$SEED" "$case" "$rc" >> "$log"
            echo "CRASH $name case $case (exit status $rc): $( (grep -m 2 -E 'Fatal error|runtime failure|Signal [0-9]' "$err.batch" || tail -n 2 "$err.batch") | tr '\n' ' ')" >> "$OUT/findings.txt"
        fi
        echo "      reproduce: $repro" >> "$OUT/findings.txt"
        start=$(( case + 1 ))
    done
    rm -f "$err.batch"
    local seconds=$(( SECONDS - began ))
    awk -F'\t' '$1 !~ /^#/ && $4 ~ /^FINDING/ { print "FINDING " n " case " $3 ": " $4 " (" $6 ")" }' n="$name" "$log" >> "$OUT/findings.txt"
    local c ok e f top
    read -r c ok e f < <(awk -F'\t' '$1 !~ /^#/ && $4 != "HANG" && $4 !~ /^CRASH/ {
            c++; if ($4 == "ok") ok++; else if ($4 ~ /^error/) e++; else if ($4 ~ /^FINDING/) f++ }
        END { print c + 0, ok + 0, e + 0, f + 0 }' "$log")
    top=$(awk -F'\t' '$1 !~ /^#/ && $4 ~ /^error/ { print substr($4, 7) }' "$log" | sort | uniq -c | sort -rn | head -n 3 |
        awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $2, $1 }')
    ROWS+=("| $name | $format | $(( c + crashes + hangs )) | $ok | $e | $f | $crashes | $hangs | $seconds | $top |")
    echo "$name: $(( c + crashes + hangs )) cases, $ok ok, $e typed errors, $f findings, $crashes crashes, $hangs hangs, $seconds s" >&2
}

began=$SECONDS
for format in dng mat safetensors model-json model-weights mapping manifest; do
    run_stream "$format" "$format" "$CASES"
done
FIX=Tests/RawIOTests/Fixtures
run_stream dng-fixtures dng $(( CASES / 3 )) "$FIX"/dng/*-64x48.dng "$FIX"/dng/*-96x64.dng "$FIX"/dng/*-65x47.dng "$FIX"/dng/iphonex-like.dng \
    "$FIX"/synthetic/odd-activearea-rggb.dng "$FIX"/written/written-grbg-48x32.dng
run_stream dng-real-camera dng $(( CASES / 15 )) "$FIX"/real/canon-eos-kiss-x4-magiclantern-14bit.dng
run_stream mat-fixtures mat $(( CASES / 3 )) "$FIX"/mat/*.mat "$FIX"/mat-extra/*.mat "$FIX"/mat-written/*.mat
run_stream safetensors-fixture safetensors $(( CASES / 5 )) Tests/RawTensorTests/Fixtures/small.safetensors

{
    echo "| stream | format | cases | ok | typed errors | findings | crashes | hangs | seconds | most frequent errors |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"
    printf '%s\n' "${ROWS[@]}"
    echo
    echo "Seed $SEED, $BATCH cases per child process, time limit $TIME_LIMIT s per case, $(( SECONDS - began )) s in all."
} > "$OUT/summary.md"
cat "$OUT/summary.md"
if [ -s "$OUT/findings.txt" ]; then
    echo; cat "$OUT/findings.txt"
    exit 1
fi
