#!/usr/bin/env bash
# Idempotent setup: installs what `npm start` / `npm test` need and skips what is present.
# Tools come only from crates.io, Debian packages and npm (no tool may download its own binaries).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { [ -n "${SETUP_QUIET:-}" ] || echo "[setup] $*" >&2; }

export PATH="$HOME/.cargo/bin:$PATH"

# Debian packages: headless Chromium + its driver and Firefox ESR (browser tests); ffmpeg
# (ffmpeg/ffprobe decode the benchmark's real-time soak recording).
# (wasm-opt comes from npm's `binaryen`, on PATH inside `npm run`: Debian's binaryen 108
# cannot parse the `table.fill` that wasm-bindgen 0.2.130 emits.)
need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
command -v firefox-esr >/dev/null 2>&1 || need_apt+=(firefox-esr)
command -v ffmpeg >/dev/null 2>&1 || need_apt+=(ffmpeg)
if [ "${#need_apt[@]}" -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# Rust target for the browser build.
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  log "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi
for comp in rustfmt clippy; do
  rustup component list --installed 2>/dev/null | grep -q "^$comp" || rustup component add "$comp"
done

# wasm-pack (locked install works from crates.io).
if ! command -v wasm-pack >/dev/null 2>&1; then
  log "cargo install wasm-pack"
  cargo install --locked wasm-pack
fi

# geckodriver drives Firefox for wasm-pack; from crates.io so nothing downloads a binary.
if ! command -v geckodriver >/dev/null 2>&1; then
  log "cargo install geckodriver"
  cargo install --locked geckodriver
fi

# wasm-bindgen-cli must equal the wasm-bindgen crate in Cargo.lock, or wasm-pack
# tries a download (no network here) and then builds its own copy.
wb_version=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock 2>/dev/null || true)
if [ -n "$wb_version" ]; then
  have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
  if [ "$have" != "$wb_version" ]; then
    log "cargo install wasm-bindgen-cli $wb_version (have: ${have:-none})"
    # `--locked` fails for this crate on crates.io (its lockfile wants a missing version).
    cargo install wasm-bindgen-cli --version "$wb_version" --force
  fi
fi

# npm packages: reinstalled only when package-lock.json changed since the last install.
lock_sum=$(sha256sum package-lock.json 2>/dev/null | cut -d' ' -f1 || true)
if [ ! -d node_modules ] || [ "$(cat node_modules/.setup-lock-sum 2>/dev/null)" != "$lock_sum" ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sum" > node_modules/.setup-lock-sum
fi
log "ready"
