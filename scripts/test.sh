#!/usr/bin/env bash
# Runs every test: set-up, the C kernel tests (native, and aarch64 under qemu as Cortex-A72 and
# Cortex-A76), the Swift test suite (XCTest), and the ONNX backend conformance run through the
# CLI. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

data=$(.venv/bin/python -c 'import onnx, os; print(os.path.join(os.path.dirname(onnx.__file__), "backend/test/data"))')
export EDGEPRUNE_ONNX_BACKEND_DATA="$data"

echo "== C kernel tests (every SIMD variant this CPU runs vs the scalar reference)"
Tests/CKernelTests/run.sh
echo "== C kernel tests on aarch64 under qemu"
toolchains/test-kernels-aarch64.sh

echo "== Swift tests"
swift build --build-tests
swift test --skip-build

echo "== ONNX backend conformance (pytorch-converted, pytorch-operator)"
.build/debug/edgeprune conformance "$data/pytorch-converted" "$data/pytorch-operator" > .build/conformance.txt || {
    grep -v ': pass' .build/conformance.txt; exit 1; }
grep -v ': pass' .build/conformance.txt | grep -v ': unsupported' || true
tail -n 1 .build/conformance.txt
