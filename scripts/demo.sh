#!/usr/bin/env bash
# The main job on the bundled model: builds EdgePrune (release), converts the digits CNN to .epm,
# shows what runs, measures accuracy on the held-out split, and times it next to ONNX Runtime.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

echo "== building (release)"
swift build -c release --product edgeprune
bin=$(swift build -c release --show-bin-path)/edgeprune
mkdir -p out
model=Tests/Fixtures/models/digits_cnn.onnx
data=Tests/Fixtures/digits

echo "== convert"
"$bin" convert "$model" -o out/digits_cnn.epm
echo "== inspect"
"$bin" inspect out/digits_cnn.epm
echo "== accuracy on the 360-sample test split"
"$bin" eval out/digits_cnn.epm --data "$data/test_x_cnn.npy" --labels "$data/test_y.npy"
echo "== latency at batch 1, one thread, next to ONNX Runtime (same model, same input)"
.venv/bin/python Benchmarks/bench_vs_ort.py --model "$model" --input "$data/test_x_cnn.npy" --sample 0 \
    --edgeprune "$bin" --runs 2000 --json out/bench_digits_cnn.json
