#!/usr/bin/env bash
# Runs engine-bench, installing what RocksDB's bindings need (libclang-dev) when missing.
# Usage: tools/engine-bench/run.sh --scale small|full [--json FILE]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if ! dpkg -s libclang-dev >/dev/null 2>&1 && ! ls /usr/lib/llvm-*/lib/libclang*.so* >/dev/null 2>&1; then
    echo "engine-bench: installing libclang-dev (needed by librocksdb-sys' bindgen)" >&2
    sudo_cmd=""
    if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
    $sudo_cmd apt-get update -qq
    $sudo_cmd apt-get install -y -qq libclang-dev
fi
exec cargo run --release --manifest-path "$here/Cargo.toml" -- "$@"
