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

configure_and_build() {  # dir, extra cmake args...
  local dir=$1
  shift
  cmake -S "$repo" -B "$dir" "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
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
(cd "$repo/build-asan" && ctest --output-on-failure -j "$jobs" --timeout 900 -LE "aws-emulator")
