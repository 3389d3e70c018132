#!/usr/bin/env bash
# Installs what roost builds and tests with: Debian packages, and the dashboard's pinned charting
# library (npm ci in api/dashboard; it is embedded into the binary at build time). With --test,
# also Debian's chromium for the dashboard's browser test; with --fuzz, clang and its libFuzzer
# runtime for tools/fuzz.sh. Idempotent; silent when nothing is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(
  g++ cmake ninja-build pkg-config
  librocksdb-dev libzstd-dev liblz4-dev libsnappy-dev libbz2-dev libgflags-dev
  libflatbuffers-dev flatbuffers-compiler
  libboost-dev libboost-system-dev
  nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
  libprotobuf-dev protobuf-compiler
  zlib1g-dev libssl-dev libjemalloc-dev
  libgtest-dev libgmock-dev libbenchmark-dev
)
case "${1:-}" in
  --test) packages+=(chromium) ;;
  --fuzz) packages+=(clang libclang-rt-dev) ;;
esac
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -ne 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "install-deps: done"
fi
# uPlot for the dashboard, as pinned in api/dashboard/package-lock.json.
lock=api/dashboard/package-lock.json
installed=api/dashboard/node_modules/.package-lock.json
if [ ! -f "$installed" ] || [ "$lock" -nt "$installed" ]; then
  command -v npm >/dev/null || { echo "install-deps: npm (Node.js 20) is needed for the dashboard" >&2; exit 1; }
  (cd api/dashboard && npm ci --no-audit --no-fund --loglevel=error >/dev/null) ||
    { echo "install-deps: 'npm ci' in api/dashboard failed" >&2; exit 1; }
fi
