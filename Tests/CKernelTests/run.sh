#!/usr/bin/env bash
# Builds and runs the standalone C kernel tests (no SwiftPM needed), from any directory:
#   Tests/CKernelTests/run.sh           # native build + run
#   Tests/CKernelTests/run.sh --arm64   # also cross-compile for aarch64 and run under QEMU
#                                       # (needs gcc-aarch64-linux-gnu and qemu-user-static)
#   Tests/CKernelTests/run.sh --bench   # also build and run the GEMM benchmark
# The last line of each test run is "N passed, N failed"; the exit code is non-zero on failure.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
src="$root/Sources/CEdgeKernels"
out="${TMPDIR:-/tmp}/edgeprune-ckernel-tests"
mkdir -p "$out"
mapfile -t sources < <(find "$src" -name '*.c' | sort)
mapfile -t tests < <(find "$root/Tests/CKernelTests" -name 'test_*.c' | sort)
cc_bin="${CC:-cc}"

"$cc_bin" -O2 -Wall -Wextra -I "$src/include" "${sources[@]}" "${tests[@]}" \
    -lm -o "$out/kernel_tests"
"$out/kernel_tests"

for arg in "$@"; do
    case "$arg" in
        --arm64)
            if command -v aarch64-linux-gnu-gcc >/dev/null && command -v qemu-aarch64-static >/dev/null; then
                aarch64-linux-gnu-gcc -O2 -static -Wall -Wextra -I "$src/include" "${sources[@]}" \
                    "${tests[@]}" -lm -o "$out/kernel_tests_arm64"
                qemu-aarch64-static -cpu cortex-a72 "$out/kernel_tests_arm64"
            else
                echo "skipping arm64: aarch64-linux-gnu-gcc or qemu-aarch64-static not installed"
            fi
            ;;
        --bench)
            "$cc_bin" -O3 -fno-math-errno -I "$src/include" "${sources[@]}" \
                "$root/Tests/CKernelTests/bench_gemm.c" -lm -o "$out/bench_gemm"
            "$out/bench_gemm"
            ;;
    esac
done
