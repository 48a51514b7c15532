#!/usr/bin/env bash
# Runs every test: set-up, the Swift test suite (XCTest), the C kernel tests, and the ONNX
# backend conformance run through the CLI. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

data=$(.venv/bin/python -c 'import onnx, os; print(os.path.join(os.path.dirname(onnx.__file__), "backend/test/data"))')
export EDGEPRUNE_ONNX_BACKEND_DATA="$data"

echo "== C kernel tests (every SIMD variant this CPU runs vs the scalar reference)"
mkdir -p .build
cc -O2 -std=c11 -I Sources/CEdgeKernels/include $(find Sources/CEdgeKernels -name '*.c') \
    Tests/CKernelTests/kernel_tests.c -lm -o .build/kernel_tests
.build/kernel_tests

echo "== Swift tests"
swift build --build-tests
swift test --skip-build

echo "== ONNX backend conformance (pytorch-converted, pytorch-operator)"
.build/debug/edgeprune conformance "$data/pytorch-converted" "$data/pytorch-operator" > .build/conformance.txt || {
    grep -v ': pass' .build/conformance.txt; exit 1; }
grep -v ': pass' .build/conformance.txt | grep -v ': unsupported' || true
tail -n 1 .build/conformance.txt
