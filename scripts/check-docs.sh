#!/usr/bin/env bash
# Checks the DocC documentation: every module with a catalog (Sources/<Module>/<Module>.docc) and
# every library product of Package.swift must convert with no warning.
#
#   bash scripts/check-docs.sh            (or `make docs-check`; a few minutes on 2 cores)
#
# Needs only the Swift toolchain (its `docc`) and the C libraries the package builds against
# (scripts/install-deps.sh). It builds the package in debug mode, with the compiler emitting
# symbol graphs, into its own scratch folder (DOCS_SCRATCH_PATH, default .build-docs; rebuilt from
# clean on every run so the graphs are never stale), runs `docc convert` on each module's catalog
# with that module's symbol graphs, prints each module's warning count and exits non-zero if any
# module has a warning, an error, or no catalog.
# DOCS_OUTPUT (default: a temporary folder, deleted at the end) keeps the converted archives.
# Set DOCC to use another docc binary.
set -euo pipefail
cd "$(dirname "$0")/.."

SCRATCH=${DOCS_SCRATCH_PATH:-.build-docs}
GRAPHS="$SCRATCH/symbol-graphs"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/raw2raw-docs.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
OUTPUT=${DOCS_OUTPUT:-$WORK/archives}

# docc: $DOCC, on PATH, next to `swift`, or through xcrun (macOS).
find_docc() {
  if [ -n "${DOCC:-}" ]; then echo "$DOCC"; return; fi
  if command -v docc >/dev/null 2>&1; then command -v docc; return; fi
  local swift_bin
  swift_bin=$(command -v swift 2>/dev/null || true)
  if [ -n "$swift_bin" ]; then
    swift_bin=$(dirname "$(readlink -f "$swift_bin" 2>/dev/null || echo "$swift_bin")")
    if [ -x "$swift_bin/docc" ]; then echo "$swift_bin/docc"; return; fi
  fi
  if command -v xcrun >/dev/null 2>&1 && xcrun --find docc >/dev/null 2>&1; then xcrun --find docc; return; fi
  echo "check-docs: docc not found (it ships with the Swift toolchain; or set DOCC)" >&2
  exit 2
}
DOCC=$(find_docc)

# The modules: those with a catalog, and every library product (which must have one).
modules=()
for catalog in Sources/*/*.docc; do
  [ -d "$catalog" ] || continue
  modules+=("$(basename "$(dirname "$catalog")")")
done
products=$(sed -n 's/.*\.library([[:space:]]*name:[[:space:]]*"\([^"]*\)".*/\1/p' Package.swift)
for product in $products; do
  case " ${modules[*]} " in *" $product "*) ;; *) modules+=("$product") ;; esac
done
if [ ${#modules[@]} -eq 0 ]; then
  echo "check-docs: no DocC catalog under Sources/*/ and no library product" >&2
  exit 2
fi

# Symbol graphs. The compiler writes them only for the modules it compiles, and a module's graph
# includes the documentation of the modules it re-exports (RawCore), which an incremental build
# does not refresh when only RawCore's comments changed. So the scratch folder is built from clean
# on every run (SwiftPM's shared cache keeps the dependencies' clones: no download after the first).
build() {
  swift build --scratch-path "$SCRATCH" \
    -Xswiftc -emit-symbol-graph -Xswiftc -emit-symbol-graph-dir -Xswiftc "$PWD/$GRAPHS"
}
echo "check-docs: building symbol graphs into $SCRATCH (debug, from clean) ..."
start=$(date +%s)
rm -rf "$SCRATCH"
mkdir -p "$GRAPHS"
if ! build >"$WORK/build.log" 2>&1; then
  cat "$WORK/build.log" >&2
  echo "check-docs: the build failed" >&2
  exit 1
fi
echo "check-docs: built in $(( $(date +%s) - start )) s"

total=0
summary=()
for m in "${modules[@]}"; do
  catalog="Sources/$m/$m.docc"
  log="$WORK/$m.log"
  if [ ! -d "Sources/$m" ] || [ ! -f "$GRAPHS/$m.symbols.json" ]; then
    summary+=("$(printf '%-14s %s' "$m" "no symbol graph (not a Swift module in Sources/?)")")
    total=$((total + 1))
    continue
  fi
  # This module's graphs only: its own and those of its extensions to other modules' types.
  graphs="$WORK/graphs/$m"
  mkdir -p "$graphs"
  cp "$GRAPHS/$m.symbols.json" "$graphs/"
  for g in "$GRAPHS/$m"@*.symbols.json; do
    [ -f "$g" ] && cp "$g" "$graphs/"
  done
  args=(convert)
  [ -d "$catalog" ] && args+=("$catalog")
  args+=(--additional-symbol-graph-dir "$graphs"
         --fallback-display-name "$m" --fallback-bundle-identifier "org.raw2raw.$m"
         --output-path "$OUTPUT/$m.doccarchive")
  mkdir -p "$OUTPUT"
  status=0
  "$DOCC" "${args[@]}" >"$log" 2>&1 || status=$?
  warnings=$(grep -c '^warning:' "$log" || true)
  errors=$(grep -c '^error:' "$log" || true)
  problems=$((warnings + errors))
  note=""
  [ -d "$catalog" ] || { note=", no catalog ($catalog)"; problems=$((problems + 1)); }
  [ "$status" -ne 0 ] && { note="$note, docc exited with $status"; problems=$((problems + 1)); }
  if [ "$problems" -gt 0 ]; then
    echo "---- $m"
    grep -v '^Finished\|^Generated documentation archive' "$log" || true
  fi
  summary+=("$(printf '%-14s %3d warning(s), %d error(s)%s' "$m" "$warnings" "$errors" "$note")")
  total=$((total + problems))
done

echo "check-docs: DocC warnings per module"
printf '  %s\n' "${summary[@]}"
if [ "$total" -gt 0 ]; then
  echo "check-docs: FAILED ($total problem(s))"
  exit 1
fi
echo "check-docs: OK (no warnings)"
