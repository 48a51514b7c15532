#!/usr/bin/env bash
# Cross-compiles the C kernel library and its test program for aarch64 and runs it under
# qemu-aarch64 as a Cortex-A72 (Raspberry Pi 4: ARMv8.0 NEON) and a Cortex-A76 (Raspberry Pi 5:
# ARMv8.2 with dot product). The test program compares every SIMD kernel the emulated CPU reports
# with the scalar reference on random shapes, odd sizes and tails.
# Installs gcc-aarch64-linux-gnu and qemu-user-static when missing (apt-get, via sudo when not root).
# Prints each CPU's result, then 'N passed, N failed' over both; exits non-zero on any failure.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

case "${1:-}" in
    -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
missing=()
command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || missing+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
command -v qemu-aarch64-static >/dev/null 2>&1 || missing+=(qemu-user-static)
if [ ${#missing[@]} -gt 0 ]; then
    echo "[aarch64] installing ${missing[*]}"
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi

out="${TMPDIR:-/tmp}/edgeprune-aarch64"
mkdir -p "$out"
mapfile -t sources < <(find "$root/Sources/CEdgeKernels" -name '*.c' | sort)
mapfile -t tests < <(find "$root/Tests/CKernelTests" -name 'test_*.c' | sort)
aarch64-linux-gnu-gcc -O2 -static -Wall -Wextra -I "$root/Sources/CEdgeKernels/include" "${sources[@]}" \
    "${tests[@]}" -lm -o "$out/kernel_tests"

passed=0 failed=0
for cpu in cortex-a72 cortex-a76; do
    echo "== qemu-aarch64 -cpu $cpu"
    log="$out/$cpu.log"
    status=0
    qemu-aarch64-static -cpu "$cpu" "$out/kernel_tests" > "$log" 2>&1 || status=$?
    grep -v ' passed, ' "$log" || true
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1 || true)
    if [ -z "$line" ]; then
        echo "$cpu: no result line (exit status $status)"
        failed=$((failed + 1))
        continue
    fi
    echo "$cpu: $line"
    passed=$((passed + $(echo "$line" | cut -d' ' -f1)))
    failed=$((failed + $(echo "$line" | cut -d' ' -f3)))
    [ "$status" -eq 0 ] || [ "$(echo "$line" | cut -d' ' -f3)" -ne 0 ] || failed=$((failed + 1))
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
