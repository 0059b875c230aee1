#!/usr/bin/env bash
# Builds the Extism plugin (wasm32-unknown-unknown, size profile) and runs the baselines.
# Cold build on the 2-core box: ~20 minutes (two wasmtimes: Perk's 48 and Extism's 43).
set -euo pipefail
cd "$(dirname "$0")"
rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || true
cargo build -p perk-extism-guest --profile guest --target wasm32-unknown-unknown
PERK_EXTISM_PLUGIN="$PWD/target/wasm32-unknown-unknown/guest/perk_extism_guest.wasm" \
  cargo bench -p perk-baselines --bench baselines -- "$@"
