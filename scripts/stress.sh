#!/usr/bin/env bash
# `npm run test:stress [-- --runs N] [-- --busy K]`: the browser suite (Chromium and
# Firefox) and the e2e tests while busy processes keep every core loaded, repeated
# N times (default 3). A run is green only if every suite passed; the script exits 1
# if any run was red. CI keeps running `npm test`; run this before resolving an issue
# that touches timing.
#
# Everything is built before the load starts (the load is there to shake out races in
# the library and the tests, not to time the compiler). Logs of each run go to
# target/stress/run-<n>.log.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

runs=3
busy=$(nproc)
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --busy) busy="$2"; shift 2 ;;
    *) echo "stress: unknown argument $1 (known: --runs N, --busy K)" >&2; exit 2 ;;
  esac
done
case "$runs$busy" in *[!0-9]*) echo "stress: --runs and --busy take whole numbers" >&2; exit 2 ;; esac

step() { printf '\n=== %s\n' "$*"; }

step "setup and builds (before the load)"
bash scripts/setup.sh
cargo build --tests --target wasm32-unknown-unknown --quiet
node scripts/package.mjs >/dev/null

pids=()
stop_load() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap stop_load EXIT
step "load: $busy busy processes (nproc = $(nproc))"
for _ in $(seq "$busy"); do
  sh -c 'while :; do :; done' &
  pids+=($!)
done

mkdir -p target/stress
failed=0
summary=()
for n in $(seq "$runs"); do
  log="target/stress/run-$n.log"
  step "run $n of $runs (log: $log)"
  start=$(date +%s)
  verdict=green
  if ! WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-120}" \
      wasm-pack test --headless --chrome --firefox >"$log" 2>&1; then
    verdict="red (browser suite)"
  elif ! node --test www/e2e/ >>"$log" 2>&1; then
    verdict="red (e2e)"
  fi
  secs=$(( $(date +%s) - start ))
  passed=$(grep -Eo 'test result: ok\. [0-9]+ passed' "$log" | awk '{s+=$4} END {print s+0}')
  node_pass=$(grep -E '^# pass [0-9]+' "$log" | awk '{s+=$3} END {print s+0}')
  line="run $n: $verdict, $((passed + node_pass)) passed, ${secs} s"
  if [ "$verdict" != green ]; then
    failed=1
    grep -E 'FAILED|failed|panicked|not ok|Error' "$log" | head -20 || true
  fi
  echo "$line"
  summary+=("$line")
done

step "stress summary ($busy busy processes)"
printf '%s\n' "${summary[@]}"
if [ "$failed" -ne 0 ]; then
  echo "stress: at least one run was red"
  exit 1
fi
echo "stress: $runs of $runs runs green"
