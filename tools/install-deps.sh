#!/usr/bin/env bash
# Installs the Debian packages roost builds and tests with. Idempotent; silent when nothing is missing.
set -euo pipefail
packages=(
  g++ cmake ninja-build pkg-config
  librocksdb-dev libzstd-dev liblz4-dev libsnappy-dev libbz2-dev libgflags-dev
  libflatbuffers-dev flatbuffers-compiler
  libboost-dev libboost-system-dev
  nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
  libprotobuf-dev protobuf-compiler
  zlib1g-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
)
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
