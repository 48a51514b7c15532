#!/usr/bin/env python3
"""Compare EdgePrune's CLI against ONNX Runtime on the same model and input.

Both engines run single-threaded on a batch-1 input, in the same process tree
and the same run, interleaved over --repeats rounds (the order alternates each
round) so that CPU frequency / thermal drift hits both alike.

ONNX Runtime: CPUExecutionProvider, intra_op_num_threads=1,
inter_op_num_threads=1, ORT_SEQUENTIAL, ORT_ENABLE_ALL; each session.run() is
timed with time.perf_counter_ns() (so the numbers include the Python binding's
per-call overhead, typically a few microseconds).

EdgePrune: runs
    EDGEPRUNE bench MODEL --input X.npy --runs N --threads 1 --json
(plus --warmup N, the same count ORT gets, unless --no-edgeprune-warmup) and
reads p50_us / p95_us / p99_us (plus whatever else it reports) from the JSON
it prints on stdout.  ORT percentiles use the same nearest-rank definition as
the CLI.  Note the CLI times its plan.run() internally, while the ORT numbers
include the Python call and output allocation of session.run().

Example:
    python Benchmarks/bench_vs_ort.py \\
        --model Tests/Fixtures/models/digits_cnn.onnx \\
        --input Tests/Fixtures/digits/test_x_cnn.npy --sample 0 \\
        --edgeprune .build/release/edgeprune --json out/bench_digits_cnn.json

Without --edgeprune only ONNX Runtime is measured.  --self-test checks the ORT
half and the CLI-output parsing against a fake CLI (needs only onnx,
onnxruntime, numpy: scripts/requirements-ci.txt).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np

PCTS = (50, 95, 99)
REQUIRED_KEYS = ("p50_us", "p95_us", "p99_us")


# --------------------------------------------------------------------------
# ONNX Runtime side
# --------------------------------------------------------------------------


def make_ort_session(model: str):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3
    return ort.InferenceSession(model, sess_options=so, providers=["CPUExecutionProvider"])


def ort_feeds(sess, x: np.ndarray) -> Dict[str, np.ndarray]:
    inputs = sess.get_inputs()
    if len(inputs) != 1:
        raise SystemExit(f"model has {len(inputs)} inputs; this benchmark feeds exactly one")
    rank = len(inputs[0].shape)
    if x.ndim == rank - 1:  # a single sample without the batch axis
        x = x[None, ...]
    if x.ndim != rank:
        raise SystemExit(f"input rank {x.ndim} does not match model input {inputs[0].name} {inputs[0].shape}")
    if x.shape[0] != 1:
        print(f"note: input batch is {x.shape[0]}, not 1 (use --sample I to take one sample)", file=sys.stderr)
    want = {"tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(int64)": np.int64,
            "tensor(int32)": np.int32, "tensor(uint8)": np.uint8, "tensor(int8)": np.int8}.get(inputs[0].type)
    if want is not None and x.dtype != want:
        x = x.astype(want)
    return {inputs[0].name: np.ascontiguousarray(x)}


def time_ort(sess, feeds: Dict[str, np.ndarray], runs: int, warmup: int) -> np.ndarray:
    names = [o.name for o in sess.get_outputs()]
    run = sess.run
    for _ in range(warmup):
        run(names, feeds)
    t = np.empty(runs, dtype=np.int64)
    clock = time.perf_counter_ns
    for i in range(runs):
        t0 = clock()
        run(names, feeds)
        t[i] = clock() - t0
    return t


def ort_call_overhead(x: np.ndarray, runs: int, warmup: int) -> Dict[str, float]:
    """Time a one-node Identity model on the same input: an estimate of what
    session.run() costs beyond the model itself (binding, feeds, output copy)."""
    import onnx
    from onnx import helper

    elem = onnx.helper.np_dtype_to_tensor_dtype(x.dtype)
    g = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "overhead",
                          [helper.make_tensor_value_info("x", elem, list(x.shape))],
                          [helper.make_tensor_value_info("y", elem, list(x.shape))])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    sess = ort.InferenceSession(m.SerializeToString(), sess_options=so, providers=["CPUExecutionProvider"])
    return percentiles_us(time_ort(sess, {"x": x}, runs, warmup))


def percentiles_us(samples_ns: np.ndarray) -> Dict[str, float]:
    us = samples_ns.astype(np.float64) / 1000.0
    # nearest rank (sorted[ceil(p/100 * n) - 1]), the definition the EdgePrune CLI uses
    d = {f"p{p}_us": float(np.percentile(us, p, method="inverted_cdf")) for p in PCTS}
    d.update(min_us=float(us.min()), mean_us=float(us.mean()), max_us=float(us.max()), runs=int(us.size))
    return d


# --------------------------------------------------------------------------
# EdgePrune side
# --------------------------------------------------------------------------


def parse_edgeprune_json(stdout: str) -> Dict:
    """Find the JSON object in the CLI's stdout: either the whole output or, if
    the CLI also printed log lines, the last line that is a JSON object (a
    pretty-printed object that ends the output is accepted too)."""
    text = stdout.strip()
    candidates = [text]
    lines = text.splitlines()
    candidates += [ln.strip() for ln in reversed(lines) if ln.strip().startswith("{")]
    # pretty-printed: from the last line that is exactly "{" (or starts one) to the end
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].lstrip().startswith("{"):
            candidates.append("\n".join(lines[i:]))
    for c in candidates:
        try:
            obj = json.loads(c)
        except (json.JSONDecodeError, ValueError):
            continue
        if isinstance(obj, dict):
            missing = [k for k in REQUIRED_KEYS if not isinstance(obj.get(k), (int, float))]
            if missing:
                raise ValueError(f"EdgePrune JSON lacks numeric {missing}: {c[:300]}")
            return obj
    raise ValueError(f"no JSON object found in EdgePrune output: {text[-500:]!r}")


def edgeprune_command(binary: str, model: str, x_path: str, runs: int, extra: Sequence[str],
                      warmup: Optional[int] = None) -> List[str]:
    cmd = [binary, "bench", model, "--input", x_path, "--runs", str(runs), "--threads", "1", "--json"]
    if warmup is not None:
        cmd += ["--warmup", str(warmup)]
    return cmd + list(extra)


def run_edgeprune(cmd: List[str], timeout: float) -> Dict:
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"{shlex.join(cmd)} exited {p.returncode}\nstdout:\n{p.stdout[-2000:]}\n"
                           f"stderr:\n{p.stderr[-2000:]}")
    res = parse_edgeprune_json(p.stdout)
    res["_wall_s"] = wall
    return res


# --------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------


def environment(binary: Optional[str]) -> Dict:
    import onnxruntime as ort

    env = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "onnxruntime": ort.__version__,
        "numpy": np.__version__,
        "cpu_count": os.cpu_count(),
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    if hasattr(os, "sched_getaffinity"):
        env["cpu_affinity"] = sorted(os.sched_getaffinity(0))
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith(("model name", "hardware", "cpu model")):
                    env["cpu_model"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        env["git_rev"] = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                                        cwd=Path(__file__).resolve().parent, timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        pass
    if binary:
        try:
            env["edgeprune_sha256"] = hashlib.sha256(Path(binary).read_bytes()).hexdigest()
        except OSError:
            pass
    return env


def summarize(per_repeat: List[Dict]) -> Dict[str, float]:
    """Median over repeats of each percentile (robust to one disturbed round)."""
    return {k: float(np.median([r[k] for r in per_repeat])) for k in REQUIRED_KEYS}


def run_benchmark(args) -> Dict:
    model = str(Path(args.model).resolve())
    x_file = np.load(args.input, allow_pickle=False)
    x_path = str(Path(args.input).resolve())
    x = x_file if args.sample is None else x_file[args.sample : args.sample + 1]

    sess = make_ort_session(model)
    feeds = ort_feeds(sess, x)
    fed = next(iter(feeds.values()))
    tmpdir = None
    if fed.shape != x_file.shape or fed.dtype != x_file.dtype:
        # --sample, an added batch axis or a dtype cast: give EdgePrune exactly what ORT gets
        tmpdir = tempfile.TemporaryDirectory(prefix="bench_vs_ort_")
        x_path = os.path.join(tmpdir.name, "input.npy")
        np.save(x_path, fed, allow_pickle=False)
    ours_cmd = None
    if args.edgeprune:
        ours_cmd = edgeprune_command(args.edgeprune, model, x_path, args.runs, args.edgeprune_arg,
                                     None if args.no_edgeprune_warmup else args.warmup)

    ort_rounds, ours_rounds, ort_all = [], [], []
    try:
        for r in range(args.repeats):
            order = ["ours", "ort"] if r % 2 == 0 else ["ort", "ours"]
            for who in order:
                if who == "ort":
                    t = time_ort(sess, feeds, args.runs, args.warmup)
                    ort_all.append(t)
                    ort_rounds.append(percentiles_us(t))
                elif ours_cmd is not None:
                    ours_rounds.append(run_edgeprune(ours_cmd, args.timeout))
            msg = f"  round {r + 1}/{args.repeats}: ort p50 {ort_rounds[-1]['p50_us']:.2f} us"
            if ours_rounds:
                msg += f", edgeprune p50 {float(ours_rounds[-1]['p50_us']):.2f} us"
            print(msg, file=sys.stderr)
    finally:
        if tmpdir is not None:
            tmpdir.cleanup()

    result: Dict = {
        "model": args.model,
        "input": args.input,
        "sample": args.sample,
        "input_shape": list(fed.shape),
        "runs": args.runs,
        "warmup": args.warmup,
        "repeats": args.repeats,
        "percentile_method": "nearest rank over per-run times, per repeat; summary = median over repeats",
        "environment": environment(args.edgeprune),
        "onnxruntime": {
            "session_options": {"intra_op_num_threads": 1, "inter_op_num_threads": 1,
                                "execution_mode": "ORT_SEQUENTIAL", "graph_optimization_level": "ORT_ENABLE_ALL",
                                "provider": "CPUExecutionProvider"},
            "timing": "time.perf_counter_ns around each InferenceSession.run (includes Python call overhead)",
            "per_repeat": ort_rounds,
            "summary": summarize(ort_rounds),
            "pooled": percentiles_us(np.concatenate(ort_all)),
            "call_overhead": ort_call_overhead(fed, min(args.runs, 1000), min(args.warmup, 100)),
        },
    }
    if ours_cmd is not None:
        ours_sum = summarize(ours_rounds)
        result["edgeprune"] = {
            "command": ours_cmd,
            "per_repeat": ours_rounds,
            "summary": ours_sum,
        }
        result["ratio_p50"] = ours_sum["p50_us"] / result["onnxruntime"]["summary"]["p50_us"]
        result["ratio_p50_per_repeat"] = [float(o["p50_us"]) / t["p50_us"] for o, t in zip(ours_rounds, ort_rounds)]
    return result


def print_table(res: Dict) -> None:
    print(f"model {res['model']}  input {res['input_shape']}  runs {res['runs']} x {res['repeats']} repeats "
          f"(median of repeats)")
    print(f"{'engine':<12} {'p50 us':>10} {'p95 us':>10} {'p99 us':>10}")
    rows = []
    if "edgeprune" in res:
        rows.append(("edgeprune", res["edgeprune"]["summary"]))
    rows.append(("onnxruntime", res["onnxruntime"]["summary"]))
    for name, s in rows:
        print(f"{name:<12} {s['p50_us']:>10.2f} {s['p95_us']:>10.2f} {s['p99_us']:>10.2f}")
    ov = res["onnxruntime"].get("call_overhead")
    if ov:
        print(f"(ORT session.run overhead, Identity model on the same input: p50 {ov['p50_us']:.2f} us)")
    if "ratio_p50" in res:
        per = ", ".join(f"{r:.3f}" for r in res["ratio_p50_per_repeat"])
        print(f"ratio edgeprune_p50 / ort_p50 = {res['ratio_p50']:.3f}  (per repeat: {per})")


def write_json(path: str, obj: Dict) -> None:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name("." + p.name + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2) + "\n")
    os.replace(tmp, p)
    print(f"wrote {p}")


# --------------------------------------------------------------------------
# Self-test (no EdgePrune binary needed)
# --------------------------------------------------------------------------

FAKE_CLI = r'''#!{python}
import json, sys
a = sys.argv[1:]
mode = {mode!r}
assert a[0] == "bench" and a[2] == "--input" and a[4] == "--runs" and a[6:9] == ["--threads", "1", "--json"], a
assert a[9:10] in ([], ["--warmup"]), a
runs = int(a[5])
import numpy as np
x = np.load(a[3])  # the input file must exist and be a batch-1 .npy
assert x.shape == (1, 16) and x.dtype == np.float32, (x.shape, x.dtype)
res = {{"p50_us": 12.5, "p95_us": 15.0, "p99_us": 20.25, "runs": runs, "model": a[1], "threads": 1}}
if mode == "plain":
    print(json.dumps(res))
elif mode == "logs":
    print("loading model ...")
    print("planning: 7 nodes")
    print(json.dumps(res))
elif mode == "pretty":
    print("some log line")
    print(json.dumps(res, indent=2))
elif mode == "missing":
    print(json.dumps({{"p50_us": 1.0}}))
elif mode == "fail":
    print("boom", file=sys.stderr)
    sys.exit(3)
'''


def _tiny_model(path: str) -> None:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    w1 = numpy_helper.from_array(rng.standard_normal((32, 16)).astype(np.float32), "w1")
    b1 = numpy_helper.from_array(np.zeros(32, np.float32), "b1")
    w2 = numpy_helper.from_array(rng.standard_normal((4, 32)).astype(np.float32), "w2")
    b2 = numpy_helper.from_array(np.zeros(4, np.float32), "b2")
    g = helper.make_graph(
        [helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], transB=1),
         helper.make_node("Relu", ["h"], ["r"]),
         helper.make_node("Gemm", ["r", "w2", "b2"], ["y"], transB=1)],
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])],
        [w1, b1, w2, b2],
    )
    # ir_version pinned: onnx 1.23 defaults to IR 14, which onnxruntime 1.31 cannot load (max 13)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    onnx.checker.check_model(m)
    onnx.save(m, path)


def self_test() -> int:
    passed, failed = 0, 0

    def check(name, fn):
        nonlocal passed, failed
        try:
            fn()
            passed += 1
            print(f"  ok   {name}")
        except Exception as e:  # noqa: BLE001
            failed += 1
            print(f"  FAIL {name}: {e!r}")

    with tempfile.TemporaryDirectory(prefix="bench_vs_ort_selftest_") as d:
        model = os.path.join(d, "tiny.onnx")
        _tiny_model(model)
        xs = os.path.join(d, "x.npy")
        np.save(xs, np.random.default_rng(1).standard_normal((5, 16)).astype(np.float32))
        xb1 = os.path.join(d, "xb1.npy")
        np.save(xb1, np.load(xs)[:1])

        def fake(mode):
            p = os.path.join(d, f"fake_{mode}")
            Path(p).write_text(FAKE_CLI.format(python=sys.executable, mode=mode))
            os.chmod(p, 0o755)
            return p

        base = ["--model", model, "--input", xs, "--sample", "2", "--runs", "300", "--warmup", "20", "--repeats", "2"]

        def ort_only():
            out = os.path.join(d, "ort.json")
            assert main(base + ["--json", out]) == 0
            res = json.loads(Path(out).read_text())
            s = res["onnxruntime"]["summary"]
            assert 0 < s["p50_us"] <= s["p95_us"] <= s["p99_us"], s
            assert res["input_shape"] == [1, 16] and "edgeprune" not in res
            assert len(res["onnxruntime"]["per_repeat"]) == 2 and res["onnxruntime"]["pooled"]["runs"] == 600

        def with_fake(mode):
            def t():
                out = os.path.join(d, f"{mode}.json")
                assert main(base + ["--edgeprune", fake(mode), "--json", out]) == 0
                res = json.loads(Path(out).read_text())
                assert res["edgeprune"]["summary"] == {"p50_us": 12.5, "p95_us": 15.0, "p99_us": 20.25}
                assert res["edgeprune"]["per_repeat"][0]["runs"] == 300
                want = 12.5 / res["onnxruntime"]["summary"]["p50_us"]
                assert abs(res["ratio_p50"] - want) < 1e-9, (res["ratio_p50"], want)
                assert len(res["ratio_p50_per_repeat"]) == 2
            return t

        def unbatched():
            x1 = os.path.join(d, "x1.npy")
            np.save(x1, np.ones(16, np.float64))  # no batch axis, wrong dtype: both fixed for both engines
            out = os.path.join(d, "x1.json")
            assert main(["--model", model, "--input", x1, "--runs", "50", "--warmup", "5", "--repeats", "1",
                         "--edgeprune", fake("plain"), "--json", out]) == 0
            assert json.loads(Path(out).read_text())["input_shape"] == [1, 16]

        def rejects(mode, exc):
            def t():
                try:
                    run_edgeprune(edgeprune_command(fake(mode), model, xb1, 10, []), 60)
                except exc:
                    return
                raise AssertionError(f"{mode}: expected {exc.__name__}")
            return t

        def parse_units():
            assert parse_edgeprune_json('{"p50_us": 1, "p95_us": 2, "p99_us": 3.5}')["p99_us"] == 3.5
            assert parse_edgeprune_json('log\n{"p50_us": 1, "p95_us": 2, "p99_us": 3}\n')["p50_us"] == 1
            for bad in ("", "hello", '{"p50_us": "fast", "p95_us": 2, "p99_us": 3}', "[1, 2]"):
                try:
                    parse_edgeprune_json(bad)
                except ValueError:
                    continue
                raise AssertionError(f"accepted {bad!r}")

        check("parse_edgeprune_json units", parse_units)
        check("onnxruntime only", ort_only)
        for mode in ("plain", "logs", "pretty"):
            check(f"fake CLI ({mode} output)", with_fake(mode))
        check("unbatched float64 input is batched and cast for both engines", unbatched)
        check("fake CLI missing keys is an error", rejects("missing", ValueError))
        check("fake CLI non-zero exit is an error", rejects("fail", RuntimeError))

    print(f"bench_vs_ort self-test: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


# --------------------------------------------------------------------------


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="ONNX model path")
    ap.add_argument("--input", help=".npy input (batch 1; or use --sample)")
    ap.add_argument("--sample", type=int, default=None,
                    help="take sample I of a batched --input (written to a temp batch-1 .npy for both engines)")
    ap.add_argument("--edgeprune", default=None, help="path to the EdgePrune CLI binary (omit: ORT only)")
    ap.add_argument("--edgeprune-arg", action="append", default=[], metavar="ARG",
                    help="extra argument appended to the EdgePrune command (repeatable)")
    ap.add_argument("--runs", type=int, default=2000, help="timed runs per repeat (default 2000)")
    ap.add_argument("--warmup", type=int, default=200,
                    help="untimed runs before each repeat, for ORT and (as --warmup N) for EdgePrune (default 200)")
    ap.add_argument("--no-edgeprune-warmup", action="store_true",
                    help="do not pass --warmup to the EdgePrune CLI (for a CLI without that option)")
    ap.add_argument("--repeats", type=int, default=3, help="interleaved rounds ours/ORT (default 3)")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds allowed per EdgePrune invocation")
    ap.add_argument("--cpu", type=int, default=None,
                    help="pin this process and the EdgePrune child to one CPU (Linux sched_setaffinity)")
    ap.add_argument("--json", dest="json_out", default=None, help="write all results to this JSON file")
    ap.add_argument("--self-test", action="store_true", help="test the ORT half and output parsing with a fake CLI")
    args = ap.parse_args(argv)

    if args.self_test:
        return self_test()
    if not args.model or not args.input:
        ap.error("--model and --input are required")
    if args.runs < 1 or args.repeats < 1 or args.warmup < 0:
        ap.error("--runs and --repeats must be >= 1, --warmup >= 0")
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})  # inherited by the EdgePrune child process

    try:
        res = run_benchmark(args)
    except (RuntimeError, ValueError, subprocess.TimeoutExpired) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print_table(res)
    if args.json_out:
        write_json(args.json_out, res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
