#!/usr/bin/env bash
# Builds roost with AddressSanitizer + UndefinedBehaviorSanitizer and runs every test.
# Installs missing Debian packages first. Usage: tools/test.sh [ctest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh --test
preset="${ROOST_TEST_PRESET:-asan}"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)"
# The OpenTelemetry JS exporters of tests/api/otel_js_interop_test.cc (pinned in package-lock.json).
(cd tests/interop && npm ci --no-audit --no-fund --loglevel=error >/dev/null) ||
  { echo "test.sh: 'npm ci' in tests/interop failed (Node.js 20 and npm needed)" >&2; exit 1; }
ctest --preset "$preset" -j "$(nproc)" --timeout 600 "$@"
