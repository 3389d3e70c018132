#!/usr/bin/env bash
# Builds roost with AddressSanitizer + UndefinedBehaviorSanitizer and runs every test.
# Installs missing Debian packages first. Usage: tools/test.sh [ctest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
preset="${ROOST_TEST_PRESET:-asan}"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)"
ctest --preset "$preset" -j "$(nproc)" --timeout 600 "$@"
