#!/usr/bin/env python3
"""Recovery benchmark (issue 7) on the 1.1M-parameter digits MLP (64-1024-1024-10):

  for each one-shot pruning setting (global magnitude: torch-style plain threshold and LAMP, at the
  sparsities given), the test accuracy of
    - the dense model,
    - the pruned level as cut (one shot, no recovery),
    - the level after `edgeprune finetune` (labelled; calibration set, 20% held out for validation),
    - the level after `edgeprune prune --recover reconstruct` (no labels), when the build has it,
  and the recovered share of the lost accuracy: (recovered - pruned) / (dense - pruned).

Standard library only; runs the `edgeprune` binary. Prints a Markdown table, writes --json.

  swift build -c release --scratch-path .build-rel
  python3 Benchmarks/recovery_digits.py --binary .build-rel/release/edgeprune --json out/recovery.json
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "Tests", "Fixtures")
MODEL = os.path.join(FIX, "models", "digits_mlp1024.onnx")
CALIB_X, CALIB_Y = os.path.join(FIX, "digits", "calib_x_mlp.npy"), os.path.join(FIX, "digits", "calib_y.npy")
TEST_X, TEST_Y = os.path.join(FIX, "digits", "test_x_mlp.npy"), os.path.join(FIX, "digits", "test_y.npy")


def run(binary, args):
    t = time.time()
    p = subprocess.run([binary] + args, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"edgeprune {' '.join(args)} failed:\n{p.stderr}")
    return p.stdout, time.time() - t


def accuracy(binary, model, level):
    out, _ = run(binary, ["eval", model, "--level", str(level), "--data", TEST_X, "--labels", TEST_Y,
                          "--latency-runs", "0", "--json"])
    return json.loads(out)["accuracy"]


def has_reconstruct(binary):
    p = subprocess.run([binary, "prune", "--help"], capture_output=True, text=True)
    return "--recover" in p.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", required=True)
    ap.add_argument("--sparsity", type=float, nargs="+", default=[0.95, 0.97, 0.98])
    ap.add_argument("--scope", nargs="+", default=["global-threshold", "global"])
    ap.add_argument("--finetune-args", default="--optimizer sgd --lr 0.05 --epochs 40",
                    help="extra arguments of edgeprune finetune")
    ap.add_argument("--json")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="edgeprune-recovery-")
    recon = has_reconstruct(a.binary)
    dense_epm = os.path.join(tmp, "dense.epm")
    run(a.binary, ["convert", MODEL, "-o", dense_epm])
    dense = accuracy(a.binary, dense_epm, 0)
    rows = []
    for scope in a.scope:
        for s in a.sparsity:
            tag = f"{scope}-{s}"
            pruned = os.path.join(tmp, f"{tag}.epm")
            base = ["prune", MODEL, "--ladder", str(s), "--scope", scope, "--protect", "none",
                    "--calib", CALIB_X, "--labels", CALIB_Y, "--latency-runs", "0"]
            run(a.binary, base + ["-o", pruned])
            row = {"scope": scope, "sparsity": s, "dense": dense, "pruned": accuracy(a.binary, pruned, 1)}
            tuned = os.path.join(tmp, f"{tag}-ft.epm")
            _, row["finetune_seconds"] = run(a.binary, ["finetune", pruned, "--data", CALIB_X, "--labels", CALIB_Y,
                                                        "-o", tuned] + a.finetune_args.split())
            row["finetuned"] = accuracy(a.binary, tuned, 1)
            if recon:
                rec = os.path.join(tmp, f"{tag}-rec.epm")
                _, row["reconstruct_seconds"] = run(a.binary, base + ["--recover", "reconstruct", "-o", rec])
                row["reconstructed"] = accuracy(a.binary, rec, 1)
            lost = dense - row["pruned"]
            for k in ("finetuned", "reconstructed"):
                if k in row and lost > 0:
                    row[k + "_share"] = (row[k] - row["pruned"]) / lost
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)
    print(f"dense test accuracy {dense * 100:.2f}% (360 samples); finetune {a.finetune_args}")
    print("| scope | sparsity | one-shot | lost (points) | fine-tuned | vs dense | reconstructed | recovered share |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        rec = f"{r['reconstructed'] * 100:.2f}%" if "reconstructed" in r else "n/a"
        share = f"{r['reconstructed_share'] * 100:.0f}%" if "reconstructed_share" in r else "n/a"
        print(f"| {r['scope']} | {r['sparsity']} | {r['pruned'] * 100:.2f}% | {(dense - r['pruned']) * 100:.1f} | "
              f"{r['finetuned'] * 100:.2f}% | {(r['finetuned'] - dense) * 100:+.2f} | {rec} | {share} |")
    if a.json:
        os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
        with open(a.json, "w") as f:
            json.dump({"dense": dense, "rows": rows, "finetune_args": a.finetune_args}, f, indent=2)


if __name__ == "__main__":
    main()
