#!/usr/bin/env bash
# Installs what this project needs from Debian 12, builds it, and then either runs the example
# project (`example`) or every test, also under AddressSanitizer + UndefinedBehaviorSanitizer
# (`test`). Run as root on a fresh machine; re-running skips what is already there.
set -euo pipefail

mode=${1:-}
case "$mode" in
  example | test) ;;
  *)
    echo "usage: $0 example|test" >&2
    exit 2
    ;;
esac

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jobs=$(nproc 2>/dev/null || echo 2)

build_packages=(build-essential cmake pkg-config ca-certificates libsqlite3-dev libmariadb-dev
  libcurl4-openssl-dev libssl-dev zlib1g-dev nlohmann-json3-dev libyaml-cpp-dev libzip-dev
  libcpp-httplib-dev libspdlog-dev libfmt-dev libcli11-dev)
test_packages=(libgtest-dev libgmock-dev libbenchmark-dev mariadb-server awscli python3
  python3-botocore python3-pymysql make zip unzip shellcheck clang)

install_missing() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

configure_and_build() {  # dir, cmake args... [--target names...]
  local dir=$1
  shift
  local args=() targets=()
  while [ $# -gt 0 ]; do
    if [ "$1" = --target ]; then
      shift
      targets=("$@")
      break
    fi
    args+=("$1")
    shift
  done
  cmake -S "$repo" -B "$dir" "${args[@]}" >/dev/null
  if [ ${#targets[@]} -gt 0 ]; then
    cmake --build "$dir" -j "$jobs" --target "${targets[@]}"
  else
    cmake --build "$dir" -j "$jobs"
  fi
}

if [ "$mode" = example ]; then
  install_missing "${build_packages[@]}"
  configure_and_build "$repo/build" -DCMAKE_BUILD_TYPE=Release -DAZX_BUILD_TESTS=OFF
  cd "$repo"
  exec "$repo/build/src/cli/azkaban-executor" run examples/hello-flow \
    --data-dir "$repo/build/example-data"
fi

install_missing "${build_packages[@]}" "${test_packages[@]}"
configure_and_build "$repo/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAZX_BUILD_TESTS=ON
echo "== tests"
(cd "$repo/build" && ctest --output-on-failure -j "$jobs" --timeout 900)

echo "== tests under AddressSanitizer + UndefinedBehaviorSanitizer"
configure_and_build "$repo/build-asan" -DCMAKE_BUILD_TYPE=Debug -DAZX_BUILD_TESTS=ON \
  -DAZX_SANITIZE=ON
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# The C++ test binaries run instrumented; the Python-driven suites ran above on the normal build.
(cd "$repo/build-asan" && ctest --output-on-failure -j "$jobs" --timeout 900 -L "unit|conformance|mysql")

echo "== fuzz targets (libFuzzer, briefly)"
CC=clang CXX=clang++ configure_and_build "$repo/build-fuzz" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DAZX_BUILD_TESTS=OFF -DAZX_BUILD_FUZZ=ON --target http_params_fuzz flow_data_fuzz
for target in http_params flow_data; do
  corpus=$(mktemp -d)
  cp "$repo/fuzz/corpus/$target"/* "$corpus"/
  "$repo/build-fuzz/fuzz/${target}_fuzz" -max_total_time=20 "$corpus"
  rm -rf "$corpus"
done
