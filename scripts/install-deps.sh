#!/usr/bin/env bash
# Installs convopt's build and test dependencies from Debian's packages (and the
# onnxruntime peer from npm). Idempotent: apt-get runs only when a package is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libonnx-dev libprotobuf-dev protobuf-compiler
  llvm-19-dev llvm-19-tools clang-19 libclang-rt-19-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev libfmt-dev nlohmann-json3-dev libeigen3-dev
  libonnx-testdata
  # the Python package (python/) and its tests; the HTML report's graphs and browser test
  python3-dev pybind11-dev python3-pybind11 python3-numpy python3-onnx python3-pytest python3-venv
  python3-setuptools graphviz chromium
)
# Node.js runs the onnxruntime peer; use the machine's own when it has one.
command -v npm >/dev/null || packages+=(nodejs npm)

SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
# install_missing PACKAGE...: apt-get install of those not installed yet (fails if apt does).
install_missing() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
install_missing "${packages[@]}"

# Cross-compiling artifacts for AArch64 and running them under qemu: the tests
# that need these skip, saying so, where they cannot be installed.
install_missing gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user ||
  echo "install-deps: could not install the AArch64 cross tools; the AArch64 tests will skip"

# onnxruntime 1.30 CPU: the peer for golden checks and benchmarks. Its install script
# downloads binaries and fails offline; the CPU library ships inside the package.
if [ ! -f third_party_npm/node_modules/onnxruntime-node/package.json ]; then
  echo "install-deps: installing onnxruntime-node@1.30.0 (npm)"
  mkdir -p third_party_npm
  (cd third_party_npm && npm install --silent --no-audit --no-fund --ignore-scripts onnxruntime-node@1.30.0 >/dev/null)
fi
# playwright-core drives Debian's chromium in the HTML report's browser test (no browser download).
if [ ! -f third_party_npm/node_modules/playwright-core/package.json ]; then
  echo "install-deps: installing playwright-core@1.64.1 (npm)"
  mkdir -p third_party_npm
  (cd third_party_npm && npm install --silent --no-audit --no-fund --ignore-scripts playwright-core@1.64.1 >/dev/null)
fi
echo "install-deps: all dependencies present"
