#!/usr/bin/env bash
# `npm test`: every check the project has, in order of cost. Fails on the first red.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Everything is also written to $log, to count the tests at the end.
exec > >(tee "$log") 2>&1
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf '\n=== %s\n' "$*"; }

step "setup (installs what is missing)"
bash scripts/setup.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "no source file over 600 lines (src/, js/)"
long=$(find src js -type f \( -name '*.rs' -o -name '*.js' \) -exec wc -l {} + | awk '$2 != "total" && $1 > 600')
if [ -n "$long" ]; then echo "over 600 lines (split them):"; echo "$long"; exit 1; fi

step "cargo clippy (host and wasm32, warnings are errors)"
cargo clippy --all-targets -- -D warnings
cargo clippy --target wasm32-unknown-unknown --all-targets -- -D warnings
# Each module alone, as scripts/package.mjs builds it: the core, keep and codecs' muxer.
for f in shell keep mux-abi; do
  cargo clippy --target wasm32-unknown-unknown --lib --no-default-features --features "$f" -- -D warnings
done

step "host tests (core: ring, config, header detection, errors)"
cargo test

step "browser tests: wasm-pack test --headless --chrome --firefox (real getUserMedia/MediaRecorder, fake devices)"
WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-60}" wasm-pack test --headless --chrome --firefox

step "npm package: the core, keep and codecs modules and the entries, packed (dist/*.tgz)"
node scripts/package.mjs

step "size budget: each shipped module (wasm + glue), gzip -9, within its line in size-budget.json"
node scripts/size-check.mjs

step "e2e (Chromium via playwright-core, Firefox via puppeteer-core): demo, installed package, tsc"
node --test www/e2e/

step "bench smoke test (quick; writes only bench/results/quick/, never BENCHMARKS.md)"
npm run bench -- --quick

# One closing line over every runner: cargo/wasm-bindgen-test ("test result: ok. N passed;
# M failed") and node's test runner ("# pass N" / "# fail M").
passed=$(grep -Eo 'test result: ok\. [0-9]+ passed' "$log" | awk '{s+=$4} END {print s+0}')
node_pass=$(grep -E '^# pass [0-9]+' "$log" | awk '{s+=$3} END {print s+0}')
echo
echo "$((passed + node_pass)) passed, 0 failed"
