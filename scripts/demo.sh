#!/usr/bin/env bash
# The main job on the bundled models: builds EdgePrune (release), then
#  1. the adaptive runtime live: the wide digits MLP pruned into a block-sparse ladder, replayed
#     test data, a real background load that starts and stops, the controller moving along the
#     ladder (edgeprune demo; trace in out/demo_trace.svg, figures in out/demo.json);
#  2. the tour: the digits CNN converted, inspected, evaluated and timed next to ONNX Runtime; a
#     model pruned in PyTorch; pruning with EdgePrune (global vs per-layer, block, channels).
# DEMO_ONLY=1 stops after part 1.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

echo "== building (release)"
swift build -c release --product edgeprune
bin=$(swift build -c release --show-bin-path)/edgeprune
mkdir -p out
model=Tests/Fixtures/models/digits_cnn.onnx
data=Tests/Fixtures/digits
wide=Tests/Fixtures/models/digits_mlp1024.onnx
calib="--calib $data/calib_x_mlp.npy --labels $data/calib_y.npy"

echo
echo "== 1. the adaptive runtime: wide digits MLP (1.1M parameters), block 16x1 ladder 0.3 ... 0.9"
"$bin" prune "$wide" --granularity block:16x1 --protect none --ladder 0.3,0.5,0.7,0.8,0.9 $calib -o out/mlp1024_block16.epm
"$bin" demo out/mlp1024_block16.epm --data "$data/test_x_mlp.npy" --labels "$data/test_y.npy" \
    --json out/demo.json --plot out/demo_trace.svg --journal out/demo_journal.jsonl
[ "${DEMO_ONLY:-0}" = 1 ] && exit 0

echo
echo "== 2. the tour"
echo "== convert"
"$bin" convert "$model" -o out/digits_cnn.epm
echo "== inspect"
"$bin" inspect out/digits_cnn.epm
echo "== accuracy on the 360-sample test split"
"$bin" eval out/digits_cnn.epm --data "$data/test_x_cnn.npy" --labels "$data/test_y.npy"
echo "== latency at batch 1, one thread, next to ONNX Runtime (same model, same input)"
.venv/bin/python Benchmarks/bench_vs_ort.py --model "$model" --input "$data/test_x_cnn.npy" --sample 0 \
    --edgeprune "$bin" --runs 2000 --json out/bench_digits_cnn.json

echo
echo "== a model pruned elsewhere: the wide digits MLP (64-1024-1024-10) pruned to 90% in PyTorch,"
echo "   zeros stored densely in ONNX. EdgePrune detects the zeros, times each weight format on each"
echo "   layer at load, and runs the fastest (see the kernel column)."
pruned=Tests/Fixtures/models/digits_mlp1024_pruned90.onnx
"$bin" convert "$pruned" -o out/digits_mlp1024_pruned90.epm
"$bin" inspect out/digits_mlp1024_pruned90.epm
"$bin" eval out/digits_mlp1024_pruned90.epm --data "$data/test_x_mlp.npy" --labels "$data/test_y.npy"
for m in "$wide" "$pruned"; do
    echo "== latency of $(basename "$m") at batch 1 next to ONNX Runtime"
    .venv/bin/python Benchmarks/bench_vs_ort.py --model "$m" --input "$data/test_x_mlp.npy" --sample 0 \
        --edgeprune "$bin" --runs 2000 --json "out/bench_$(basename "$m" .onnx).json"
done

echo
echo "== pruning with EdgePrune (no retraining), calibration on the training split, judged on the test split"
for scope in global layer; do
    echo "== wide MLP, magnitude, unstructured, --scope $scope, every layer pruned (--protect none)"
    "$bin" prune "$wide" --scope "$scope" --protect none --ladder 0.5,0.8,0.9 $calib -o "out/mlp1024_$scope.epm"
    for level in 2 3; do
        "$bin" eval "out/mlp1024_$scope.epm" --level "$level" --data "$data/test_x_mlp.npy" --labels "$data/test_y.npy" \
            --latency-runs 0 --attribution-samples 0 | head -2
    done
done
echo "== wide MLP, block 16x1 ladder: every level runs the block-sparse kernels"
"$bin" profile out/mlp1024_block16.epm --data "$data/test_x_mlp.npy" --labels "$data/test_y.npy" \
    --plot out/mlp1024_block16_profile.svg
"$bin" export out/mlp1024_block16.epm --level 4 -o out/mlp1024_block16_level4.onnx
echo "== digits CNN, structured: half the channels of every prunable layer, compacted"
"$bin" prune "$model" --granularity channel --scope layer --ladder 0.5 \
    --calib "$data/calib_x_cnn.npy" --labels "$data/calib_y.npy" -o out/digits_cnn_half.epm
"$bin" eval out/digits_cnn_half.epm --level 1 --data "$data/test_x_cnn.npy" --labels "$data/test_y.npy" | head -2
"$bin" export out/digits_cnn_half.epm --level 1 -o out/digits_cnn_half.onnx
.venv/bin/python Benchmarks/bench_vs_ort.py --model out/digits_cnn_half.onnx --input "$data/test_x_cnn.npy" --sample 0 \
    --edgeprune "$bin" --runs 2000 --json out/bench_digits_cnn_half.json

echo
echo "== recovery: the wide MLP pruned to 98% in one shot with a plain global magnitude threshold"
echo "   (loses most of its accuracy), then fine-tuned with masks (pruned weights stay zero)"
"$bin" prune "$wide" --scope global-threshold --protect none --ladder 0.98 $calib --latency-runs 0 -o out/mlp1024_g98.epm
"$bin" eval out/mlp1024_g98.epm --level 1 --data "$data/test_x_mlp.npy" --labels "$data/test_y.npy" \
    --latency-runs 0 --attribution-samples 0 | head -2
"$bin" finetune out/mlp1024_g98.epm --data "$data/calib_x_mlp.npy" --labels "$data/calib_y.npy" --optimizer sgd --lr 0.05 --epochs 20 -o out/mlp1024_g98_tuned.epm
"$bin" eval out/mlp1024_g98_tuned.epm --level 1 --data "$data/test_x_mlp.npy" --labels "$data/test_y.npy" \
    --latency-runs 0 --attribution-samples 0 | head -2
