#!/usr/bin/env bash
# Builds roost (release) and starts `roost serve` on an embedded data dir (./roost-data unless
# ROOST_DATA or --data says otherwise). Installs missing Debian packages first.
# Extra arguments go to `roost serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target roost
exec ./build/release/tools/roost serve "$@"
