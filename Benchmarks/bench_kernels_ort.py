#!/usr/bin/env python3
"""Our kernels against ONNX Runtime (one thread) on the same Gemm and Conv layers, in one run.

Runs `edgeprune bench-kernels --json` (our f32 dense and every sparse/int8 format on the Linear
and conv layers it defines), then builds one-node ONNX models of the same layers (Gemm with
transB=1 and a bias; Conv + Relu; depthwise Conv + Relu) and times them in ONNX Runtime
(CPUExecutionProvider, 1 intra/inter-op thread, sequential, all graph optimisations), and prints
for every layer: ORT's median, our dense median and our best sparse format at each sparsity, with
ratios ours/ORT. ORT densifies sparse weights, so its time does not depend on the sparsity.

ORT's numbers include the Python binding's per-call cost; the script measures that on an
Identity model of the same input and prints ratios both raw and against ORT minus that overhead
("net"), which favours ORT. Ours are timed inside the CLI (no per-call binding cost).

    python Benchmarks/bench_kernels_ort.py --edgeprune .build/release/edgeprune [--quick] [--json out.json]

Needs numpy, onnx and onnxruntime (scripts/requirements-ci.txt).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_vs_ort import make_ort_session  # noqa: E402


def gemm_model(k: int, n: int, batch: int) -> onnx.ModelProto:
    rng = np.random.default_rng(1)
    w = rng.uniform(-1, 1, (n, k)).astype(np.float32)
    b = rng.uniform(-1, 1, (n,)).astype(np.float32)
    g = helper.make_graph(
        [helper.make_node("Gemm", ["x", "w", "b"], ["y"], transB=1)], "gemm",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, n])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)


def conv_model(shape: str) -> Tuple[onnx.ModelProto, Tuple[int, ...]]:
    """'3x3 16->32 32x32', '1x1 64->64 32x32' or 'dw3x3 32 32x32' as Conv(+Relu)."""
    rng = np.random.default_rng(2)
    parts = shape.split()
    size = int(parts[-1].split("x")[0])
    if parts[0].startswith("dw"):
        c = int(parts[1]); cin, cout, k, group = c, c, int(parts[0][2]), c
    else:
        k = int(parts[0].split("x")[0])
        cin, cout = (int(v) for v in parts[1].split("->"))
        group = 1
    w = rng.uniform(-1, 1, (cout, cin // group, k, k)).astype(np.float32)
    b = rng.uniform(-1, 1, (cout,)).astype(np.float32)
    p = k // 2
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], kernel_shape=[k, k], pads=[p, p, p, p], group=group),
             helper.make_node("Relu", ["c"], ["y"])]
    g = helper.make_graph(nodes, "conv",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, cin, size, size])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, cout, size, size])],
                          [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], ir_version=8), (1, cin, size, size)


def identity_model(shape: Tuple[int, ...]) -> onnx.ModelProto:
    g = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "id",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(shape))],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, list(shape))])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)


def median_us(model: onnx.ModelProto, x: np.ndarray, rounds: int) -> float:
    """Median per-call microseconds over `rounds` rounds of ~2 ms each."""
    with tempfile.TemporaryDirectory() as d:
        path = str(Path(d) / "m.onnx")
        onnx.save(model, path)
        sess = make_ort_session(path)
    feeds = {"x": x}
    for _ in range(20):
        sess.run(None, feeds)
    t0 = time.perf_counter_ns()
    sess.run(None, feeds)
    once = max((time.perf_counter_ns() - t0) / 1e3, 1.0)
    reps = max(1, int(2000 / once))
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter_ns()
        for _ in range(reps):
            sess.run(None, feeds)
        samples.append((time.perf_counter_ns() - t0) / 1e3 / reps)
    return float(np.median(samples))


def layer_input(r: Dict) -> Tuple[int, ...]:
    if r["op"] == "linear":
        k, _ = (int(v) for v in r["shape"].split("x"))
        return (r["batch"], k)
    return conv_model(r["shape"])[1]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--edgeprune", required=True, help="path to the edgeprune binary (release build)")
    ap.add_argument("--quick", action="store_true", help="pass --quick to bench-kernels")
    ap.add_argument("--rounds", type=int, default=9, help="ORT timing rounds per layer (median)")
    ap.add_argument("--json", help="write the comparison rows to this file")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as d:
        out = str(Path(d) / "kernels.json")
        cmd = [args.edgeprune, "bench-kernels", "--json", out] + (["--quick"] if args.quick else [])
        print("running: " + " ".join(cmd), file=sys.stderr)
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        records = json.loads(Path(out).read_text())

    layers: Dict[Tuple[str, str, int], List[Dict]] = {}
    for r in records:
        if r["dtype"] == "f32":
            layers.setdefault((r["op"], r["shape"], r["batch"]), []).append(r)

    rows = []
    print(f"{'op':6} {'shape':18} {'batch':>5} {'ort_us':>8} {'net_us':>8} {'dense_us':>9} {'dense/ort':>9} "
          f"{'dense/net':>9}  best sparse per sparsity: ours_us (ours/ort)")
    for (op, shape, batch), rs in layers.items():
        shape_in = layer_input(rs[0])
        x = np.random.default_rng(3).uniform(-1, 1, shape_in).astype(np.float32)
        if op == "linear":
            k, n = (int(v) for v in shape.split("x"))
            model = gemm_model(k, n, batch)
        else:
            model = conv_model(shape)[0]
        ort_us = median_us(model, x, args.rounds)
        overhead = median_us(identity_model(shape_in), x, args.rounds)
        net = max(ort_us - overhead, 1e-3)
        dense_us = float(np.median([r["dense_us"] for r in rs]))
        best: Dict[float, Tuple[float, str]] = {}
        for r in rs:
            if r["sparsity"] > 0 and (r["sparsity"] not in best or r["us"] < best[r["sparsity"]][0]):
                best[r["sparsity"]] = (r["us"], r["format"])
        sparse = "  ".join(f"{s:.2f}:{us:.1f}({us / ort_us:.2f},{fmt})" for s, (us, fmt) in sorted(best.items()))
        print(f"{op:6} {shape:18} {batch:5d} {ort_us:8.2f} {net:8.2f} {dense_us:9.2f} {dense_us / ort_us:9.2f} "
              f"{dense_us / net:9.2f}  {sparse}")
        rows.append({"op": op, "shape": shape, "batch": batch, "ort_us": ort_us, "ort_call_overhead_us": overhead,
                     "dense_us": dense_us, "dense_over_ort": dense_us / ort_us, "dense_over_ort_net": dense_us / net,
                     "best_sparse": {str(s): {"us": us, "format": f, "over_ort": us / ort_us}
                                     for s, (us, f) in sorted(best.items())}})
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
        print(f"wrote {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
