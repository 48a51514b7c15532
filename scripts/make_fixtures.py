#!/usr/bin/env python3
"""Regenerate EdgePrune's test fixtures (ONNX models, inputs and golden outputs).

Run it in a virtualenv built from scripts/requirements-fixtures.txt:

    python -m venv .venv
    .venv/bin/pip install -r scripts/requirements-fixtures.txt
    .venv/bin/python scripts/make_fixtures.py            # writes Tests/Fixtures

What it writes (relative to --out, default Tests/Fixtures):

  digits/test_x_mlp.npy, test_x_cnn.npy, test_y.npy     sklearn digits test split
  digits/digits_{mlp,cnn}_expected.npy                  ONNX Runtime logits (goldens)
  digits/info.json                                      split, accuracies, versions
  models/digits_mlp.onnx, models/digits_cnn.onnx        trained models, opset 13
  models/digits_mlp1024{,_pruned90}.onnx                wide MLP, and a copy pruned to 90% in PyTorch
  digits/digits_mlp1024{,_pruned90}_expected.npy,
  digits/info_wide_mlp.json                             its goldens and how it was made
  zoo/<name>_op<N>/{model.onnx,input*.npy,expected*.npy} small models at opsets 11..17
  zoo/manifest.json                                     machine-readable zoo index
  README.md                                             human-readable description

Everything is seeded.  Goldens always come from ONNX Runtime (1 thread, graph
optimisations disabled) run on the exact ONNX file that is written, so they
are consistent with the committed models even if PyTorch training is not
bit-reproducible on another CPU / library version.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
import torch  # noqa: E402
from onnx import numpy_helper, shape_inference  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402
from torch import nn  # noqa: E402

from fixtures.wide_mlp import make_wide_mlp  # noqa: E402
from fixtures.zoo_models import randomize_batchnorm, stable_seed, zoo_specs  # noqa: E402

DIGITS_SEED = 0
DIGITS_TEST_SIZE = 360
DIGITS_OPSET = 13

# Ops and structural features the zoo must exercise.  The script fails if a
# change to the models drops one of them.
REQUIRED_OPS = {
    "Conv", "BatchNormalization", "Concat", "Add", "Gemm", "Clip", "MaxPool", "AveragePool",
    "GlobalAveragePool", "Flatten", "Relu", "LeakyRelu", "PRelu", "Elu", "Selu", "Sigmoid", "Tanh",
    "Softplus", "Softmax", "LogSoftmax", "Transpose", "Reshape", "Split", "Slice", "Pad",
    "ReduceMean", "ReduceSum", "Max", "Min", "Pow", "Sqrt", "Abs", "Exp", "Neg", "Div", "Sub", "Mul",
    "Squeeze", "Unsqueeze", "Gather", "ArgMax", "Cast", "MatMul",
}
REQUIRED_FEATURES = {
    "conv_depthwise", "conv_grouped", "conv_dilated", "conv_strided", "conv1d", "gemm_transB",
    "clip_input_bounds", "avgpool_ceil_mode", "avgpool_count_include_pad_0",
    "avgpool_count_include_pad_1", "maxpool_padded", "maxpool_ceil_mode", "softmax_non_last_axis",
    "logsoftmax_non_last_axis", "int64_output", "multi_input", "multi_output", "residual_add",
    "dynamic_batch",
}


# --------------------------------------------------------------------------
# Small utilities
# --------------------------------------------------------------------------


class Writer:
    """Writes files atomically (temp file + rename) and logs what it wrote."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.written: List[Tuple[Path, int]] = []

    def _write_bytes(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name + ".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        self.written.append((path, len(data)))
        try:
            shown = path.relative_to(Path.cwd())
        except ValueError:
            shown = path
        print(f"  wrote {shown}  ({len(data):,} bytes)")

    def npy(self, path: Path, arr: np.ndarray) -> None:
        arr = np.ascontiguousarray(arr)
        if arr.dtype.byteorder == ">":
            arr = arr.astype(arr.dtype.newbyteorder("<"))
        buf = io.BytesIO()
        np.save(buf, arr, allow_pickle=False)
        self._write_bytes(path, buf.getvalue())

    def onnx(self, path: Path, model: onnx.ModelProto) -> None:
        self._write_bytes(path, model.SerializeToString())

    def text(self, path: Path, text: str) -> None:
        self._write_bytes(path, text.encode("utf-8"))

    def json(self, path: Path, obj) -> None:
        self.text(path, json.dumps(obj, indent=2, sort_keys=False) + "\n")


def versions() -> Dict[str, str]:
    import sklearn

    v = {
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "onnx": onnx.__version__,
        "onnxruntime": ort.__version__,
        "torch": torch.__version__,
        "scikit-learn": sklearn.__version__,
    }
    try:
        import torchvision

        v["torchvision"] = torchvision.__version__
    except ImportError:
        pass
    return v


def set_determinism(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)


def ort_session(model_bytes: bytes) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    # Goldens are computed node by node, without ORT's graph fusions.
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.log_severity_level = 3
    return ort.InferenceSession(model_bytes, sess_options=so, providers=["CPUExecutionProvider"])


def export_onnx(
    model: nn.Module,
    args: Tuple[torch.Tensor, ...],
    opset: int,
    input_names: Sequence[str],
    output_names: Sequence[str],
    dynamic_batch: bool,
    keep_batchnorm: bool,
) -> onnx.ModelProto:
    """Export with the TorchScript-based exporter (dynamo=False), which honours
    opset_version 11..17 directly.

    With training=EVAL (the default) the exporter's eval peephole pass fuses
    Conv+BatchNorm into the Conv weights -- this happens whatever
    do_constant_folding says.  To keep BatchNormalization nodes we export the
    (eval-mode) model with training=PRESERVE, which skips that pass; BN then
    runs with its running statistics because model.training is False.
    """
    model.eval()
    dynamic_axes = None
    if dynamic_batch:
        dynamic_axes = {n: {0: "batch"} for n in list(input_names) + list(output_names)}
    f = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            args,
            f,
            dynamo=False,
            opset_version=opset,
            input_names=list(input_names),
            output_names=list(output_names),
            dynamic_axes=dynamic_axes,
            do_constant_folding=True,
            training=torch.onnx.TrainingMode.PRESERVE if keep_batchnorm else torch.onnx.TrainingMode.EVAL,
        )
    m = onnx.load_from_string(f.getvalue())
    m.doc_string = ""
    imported = {o.domain: o.version for o in m.opset_import}
    assert imported.get("", imported.get("ai.onnx")) == opset, f"exported opset {imported} != {opset}"
    onnx.checker.check_model(m, full_check=True)
    return m


def op_types(m: onnx.ModelProto) -> List[str]:
    return sorted({n.op_type for n in m.graph.node})


def _attr(node: onnx.NodeProto, name: str, default=None):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def graph_features(m: onnx.ModelProto) -> List[str]:
    """Structural features of a graph, used for the manifest and the coverage check."""
    inferred = shape_inference.infer_shapes(m)
    g = inferred.graph
    inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    for n in g.node:  # Constant nodes count as initialisers here
        if n.op_type == "Constant" and _attr(n, "value") is not None:
            inits[n.output[0]] = numpy_helper.to_array(_attr(n, "value"))
    ranks: Dict[str, int] = {}
    for vi in list(g.input) + list(g.value_info) + list(g.output):
        if vi.type.tensor_type.HasField("shape"):
            ranks[vi.name] = len(vi.type.tensor_type.shape.dim)
    producers = {o: n for n in g.node for o in n.output}

    feats = set()
    for n in g.node:
        if n.op_type == "Conv":
            w = inits.get(n.input[1])
            group = _attr(n, "group", 1)
            ks = _attr(n, "kernel_shape") or (list(w.shape[2:]) if w is not None else [])
            if len(ks) == 1:
                feats.add("conv1d")
            if group > 1 and w is not None and w.shape[1] == 1:
                feats.add("conv_depthwise")
            elif group > 1:
                feats.add("conv_grouped")
            if any(d != 1 for d in (_attr(n, "dilations") or [])):
                feats.add("conv_dilated")
            if any(s != 1 for s in (_attr(n, "strides") or [])):
                feats.add("conv_strided")
            if len(set(ks)) > 1:
                feats.add("conv_non_square_kernel")
        elif n.op_type == "Gemm" and _attr(n, "transB", 0) == 1:
            feats.add("gemm_transB")
        elif n.op_type == "Clip" and len(n.input) > 1:
            feats.add("clip_input_bounds")
            if len(n.input) == 2 or any(i == "" for i in n.input[1:]):
                feats.add("clip_one_sided")
        elif n.op_type == "AveragePool":
            if _attr(n, "ceil_mode", 0):
                feats.add("avgpool_ceil_mode")
            feats.add(f"avgpool_count_include_pad_{_attr(n, 'count_include_pad', 0)}")
            if len(_attr(n, "kernel_shape")) == 1:
                feats.add("pool1d")
        elif n.op_type == "MaxPool":
            if any(p != 0 for p in (_attr(n, "pads") or [])):
                feats.add("maxpool_padded")
            if _attr(n, "ceil_mode", 0):
                feats.add("maxpool_ceil_mode")
            if len(_attr(n, "kernel_shape")) == 1:
                feats.add("pool1d")
        elif n.op_type in ("Softmax", "LogSoftmax"):
            rank = ranks.get(n.input[0])
            axis = _attr(n, "axis", -1 if m.opset_import[0].version >= 13 else 1)
            if rank is not None and axis % rank != rank - 1:
                feats.add(f"{n.op_type.lower()}_non_last_axis")
            # Before opset 13 the exporter implements a non-last axis by
            # transposing the axis to the end around the (Log)Softmax.
            src = producers.get(n.input[0])
            if src is not None and src.op_type == "Transpose":
                feats.add(f"{n.op_type.lower()}_non_last_axis")
        elif n.op_type == "Add":
            # residual: both operands are computed activations, not constants
            if all(i not in inits for i in n.input) and all(i in producers for i in n.input):
                feats.add("residual_add")
        elif n.op_type == "BatchNormalization":
            feats.add("batchnorm_node")
        elif n.op_type == "Shape":
            feats.add("shape_subgraph")
    for o in g.output:
        if o.type.tensor_type.elem_type == onnx.TensorProto.INT64:
            feats.add("int64_output")
    if len(g.input) > 1:
        feats.add("multi_input")
    if len(g.output) > 1:
        feats.add("multi_output")
    for i in g.input:
        dims = i.type.tensor_type.shape.dim
        if dims and dims[0].dim_param:
            feats.add("dynamic_batch")
    return sorted(feats)


def torch_outputs(model: nn.Module, args: Sequence[torch.Tensor]) -> List[np.ndarray]:
    with torch.no_grad():
        out = model(*args)
    if isinstance(out, torch.Tensor):
        out = (out,)
    return [o.detach().cpu().numpy() for o in out]


def compare(ref: Sequence[np.ndarray], got: Sequence[np.ndarray]) -> float:
    assert len(ref) == len(got)
    worst = 0.0
    for r, g in zip(ref, got):
        assert r.shape == g.shape, f"shape mismatch {r.shape} vs {g.shape}"
        if r.dtype.kind in "iub":
            worst = max(worst, float(np.max(np.abs(r.astype(np.int64) - g.astype(np.int64)))) if r.size else 0.0)
        else:
            worst = max(worst, float(np.max(np.abs(r.astype(np.float64) - g.astype(np.float64)))) if r.size else 0.0)
    return worst


# --------------------------------------------------------------------------
# Digits
# --------------------------------------------------------------------------


class DigitsMLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10)
        )

    def forward(self, x):
        return self.net(x)


class DigitsCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(32 * 4 * 4, 64), nn.ReLU(), nn.Dropout(0.3), nn.Linear(64, 10)
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def load_digits_split():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = (d.data / 16.0).astype(np.float32)
    y = d.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, y, test_size=DIGITS_TEST_SIZE, stratify=y, random_state=DIGITS_SEED, shuffle=True
    )
    return x_tr, x_te, y_tr, y_te


def train(model: nn.Module, x: np.ndarray, y: np.ndarray, epochs: int, lr: float, seed: int) -> float:
    set_determinism(seed)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-4)
    loss_fn = nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(seed)
    model.train()
    t0 = time.perf_counter()
    for _ in range(epochs):
        perm = torch.randperm(len(xt), generator=g)
        for i in range(0, len(xt), 32):
            idx = perm[i : i + 32]
            opt.zero_grad()
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
    model.eval()
    return time.perf_counter() - t0


def make_digits(w: Writer, out: Path) -> Dict:
    print("\n== digits")
    x_tr, x_te, y_tr, y_te = load_digits_split()
    ddir, mdir = out / "digits", out / "models"
    x_te_cnn = x_te.reshape(-1, 1, 8, 8)
    w.npy(ddir / "test_x_mlp.npy", x_te)
    w.npy(ddir / "test_x_cnn.npy", x_te_cnn)
    w.npy(ddir / "test_y.npy", y_te)

    info: Dict = {
        "dataset": "sklearn.datasets.load_digits, X/16 as float32",
        "split": {
            "function": "sklearn.model_selection.train_test_split",
            "test_size": DIGITS_TEST_SIZE,
            "stratify": "y",
            "random_state": DIGITS_SEED,
            "n_train": int(len(y_tr)),
            "n_test": int(len(y_te)),
        },
        "models": {},
    }
    cases = [
        ("digits_mlp", DigitsMLP, x_tr, x_te, 60, 1e-3, False),
        ("digits_cnn", DigitsCNN, x_tr.reshape(-1, 1, 8, 8), x_te_cnn, 25, 1e-3, True),
    ]
    for name, cls, xtr, xte, epochs, lr, keep_bn in cases:
        set_determinism(DIGITS_SEED)
        model = cls()
        secs = train(model, xtr, y_tr, epochs=epochs, lr=lr, seed=DIGITS_SEED)
        t_logits = torch_outputs(model, [torch.from_numpy(xte)])[0]
        t_acc = float((t_logits.argmax(1) == y_te).mean())
        m = export_onnx(model, (torch.from_numpy(xte[:2]),), DIGITS_OPSET, ["input"], ["logits"],
                        dynamic_batch=True, keep_batchnorm=keep_bn)
        ops = op_types(m)
        nodes = [n.op_type for n in m.graph.node]
        assert "Dropout" not in nodes, "Dropout must not survive an eval-mode export"
        if name == "digits_mlp":
            gemms = [n for n in m.graph.node if n.op_type == "Gemm"]
            assert len(gemms) == 3 and all(_attr(n, "transB", 0) == 1 for n in gemms), "expected 3 Gemm(transB=1)"
        else:
            n_bn = nodes.count("BatchNormalization")
            assert n_bn == 2, f"expected 2 BatchNormalization nodes in digits_cnn, got {n_bn}: {nodes}"
        assert m.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
        sess = ort_session(m.SerializeToString())
        o_logits = sess.run(None, {"input": xte})[0].astype(np.float32)
        o_acc = float((o_logits.argmax(1) == y_te).mean())
        diff = compare([t_logits], [o_logits])
        # batch-1 sanity: the dynamic batch dimension really works
        one = sess.run(None, {"input": xte[:1]})[0]
        assert np.allclose(one, o_logits[:1], atol=1e-5)
        w.onnx(mdir / f"{name}.onnx", m)
        w.npy(ddir / f"{name}_expected.npy", o_logits)
        print(f"  {name}: trained {epochs} epochs in {secs:.1f}s; test acc torch={t_acc:.4f} ort={o_acc:.4f}; "
              f"max|torch-ort|={diff:.2e}; ops={ops}")
        info["models"][name] = {
            "onnx": f"models/{name}.onnx",
            "opset": DIGITS_OPSET,
            "input": {"name": "input", "file": "digits/" + ("test_x_mlp.npy" if name == "digits_mlp" else "test_x_cnn.npy"),
                      "shape": ["batch"] + list(xte.shape[1:])},
            "output": {"name": "logits", "file": f"digits/{name}_expected.npy", "shape": ["batch", 10]},
            "op_types": ops,
            "epochs": epochs,
            "test_accuracy_torch": round(t_acc, 4),
            "test_accuracy_ort": round(o_acc, 4),
            "max_abs_diff_torch_vs_ort": diff,
            "batchnorm_kept": keep_bn,
        }
    info["versions"] = versions()
    w.json(ddir / "info.json", info)
    return info


def make_calib(w: Writer, out: Path) -> None:
    """The digits training split as calibration data for `edgeprune prune` (importance scores,
    sensitivity, the ladder's accuracy column).  Models were trained on it; pruning results are
    judged on the test split, which pruning never sees."""
    print("\n== digits calibration data (training split)")
    x_tr, _, y_tr, _ = load_digits_split()
    ddir = out / "digits"
    w.npy(ddir / "calib_x_mlp.npy", x_tr)
    w.npy(ddir / "calib_x_cnn.npy", x_tr.reshape(-1, 1, 8, 8))
    w.npy(ddir / "calib_y.npy", y_tr)
    print(f"  {len(y_tr)} samples")


# --------------------------------------------------------------------------
# Zoo
# --------------------------------------------------------------------------


def make_zoo(w: Writer, out: Path, with_torchvision: bool) -> List[Dict]:
    print("\n== zoo")
    zdir = out / "zoo"
    if zdir.exists():  # fully generated: drop stale model directories
        for child in zdir.iterdir():
            if child.is_dir() and (child / "model.onnx").exists():
                shutil.rmtree(child)
    entries: List[Dict] = []
    for spec in zoo_specs(with_torchvision=with_torchvision):
        seed = stable_seed(spec.name)
        set_determinism(seed)
        model = spec.build()
        randomize_batchnorm(model, seed + 1)
        model.eval()
        rng = np.random.default_rng(seed + 2)
        inputs = [(rng.standard_normal(s) * spec.input_scale).astype(np.float32) for s in spec.input_shapes]
        t_args = [torch.from_numpy(a) for a in inputs]
        t_out = torch_outputs(model, t_args)
        in_names = spec.input_names or (["input"] if len(inputs) == 1 else [f"input_{i}" for i in range(len(inputs))])
        out_names = spec.output_names or (["output"] if len(t_out) == 1 else [f"output_{i}" for i in range(len(t_out))])
        assert len(out_names) == len(t_out), spec.name
        for opset in spec.opsets:
            m = export_onnx(model, tuple(t_args), opset, in_names, out_names, spec.dynamic_batch, spec.keep_batchnorm)
            assert [i.name for i in m.graph.input] == in_names, [i.name for i in m.graph.input]
            assert [o.name for o in m.graph.output] == out_names, [o.name for o in m.graph.output]
            sess = ort_session(m.SerializeToString())
            o_out = sess.run(None, dict(zip(in_names, inputs)))
            diff = compare(t_out, o_out)
            # third opinion: the ONNX reference implementation (pure numpy)
            ref_out = ReferenceEvaluator(m).run(None, dict(zip(in_names, inputs)))
            ref_diff = compare(o_out, [np.asarray(r) for r in ref_out])
            entry_name = f"{spec.name}_op{opset}"
            d = zdir / entry_name
            w.onnx(d / "model.onnx", m)
            in_files = ["input.npy"] if len(inputs) == 1 else [f"input_{i}.npy" for i in range(len(inputs))]
            out_files = ["expected.npy"] if len(o_out) == 1 else [f"expected_{i}.npy" for i in range(len(o_out))]
            for f, a in zip(in_files, inputs):
                w.npy(d / f, a)
            for f, a in zip(out_files, o_out):
                w.npy(d / f, a)
            feats = graph_features(m)
            max_ref = max(float(np.max(np.abs(a))) if a.size else 0.0 for a in o_out if a.dtype.kind == "f")
            for who, dd in (("PyTorch", diff), ("onnx.reference", ref_diff)):
                if dd > 1e-4 * max(1.0, max_ref):
                    print(f"  WARNING {entry_name}: {who} and ONNX Runtime disagree by {dd:.3e}")
            entries.append(
                {
                    "name": entry_name,
                    "model": spec.name,
                    "dir": f"zoo/{entry_name}",
                    "file": "model.onnx",
                    "opset": opset,
                    "ir_version": m.ir_version,
                    "source": spec.source,
                    "description": " ".join(spec.description.split()),
                    "inputs": [
                        {"name": n, "file": f, "shape": list(a.shape), "dtype": str(a.dtype)}
                        for n, f, a in zip(in_names, in_files, inputs)
                    ],
                    "outputs": [
                        {"name": n, "file": f, "shape": list(a.shape), "dtype": str(a.dtype)}
                        for n, f, a in zip(out_names, out_files, o_out)
                    ],
                    "op_types": op_types(m),
                    "features": feats,
                    "dynamic_batch": spec.dynamic_batch,
                    "batchnorm_kept": spec.keep_batchnorm,
                    "max_abs_diff_torch_vs_ort": diff,
                    "max_abs_diff_onnx_reference_vs_ort": ref_diff,
                    "max_abs_expected": max_ref,
                    "suggested_tolerance": {"rtol": 1e-4, "atol": float(f"{max(1e-5, 1e-4 * max_ref):.3g}")},
                    "model_bytes": m.ByteSize(),
                }
            )
    return entries


def check_coverage(entries: List[Dict]) -> None:
    ops = set().union(*(e["op_types"] for e in entries))
    feats = set().union(*(e["features"] for e in entries))
    opsets = {e["opset"] for e in entries}
    missing_ops, missing_feats = REQUIRED_OPS - ops, REQUIRED_FEATURES - feats
    if missing_ops or missing_feats or not {11, 13, 15, 17} <= opsets:
        raise SystemExit(f"zoo coverage incomplete: ops {sorted(missing_ops)}, features {sorted(missing_feats)}, "
                         f"opsets {sorted(opsets)}")
    print(f"\n  coverage OK: {len(ops)} op types, {len(feats)} features, opsets {sorted(opsets)}")


def print_table(entries: List[Dict]) -> str:
    lines = ["| model | opset | size | op types |", "| --- | --- | ---: | --- |"]
    for e in entries:
        lines.append(f"| {e['name']} | {e['opset']} | {e['model_bytes'] / 1024:.0f} KiB | {', '.join(e['op_types'])} |")
    table = "\n".join(lines)
    print("\n" + table)
    return table


# --------------------------------------------------------------------------
# README
# --------------------------------------------------------------------------

README_TEMPLATE = """\
# Test fixtures

Generated by `scripts/make_fixtures.py` -- do not edit by hand (edit the
template in that script instead).  All files are regenerated together:

```sh
python -m venv .venv
.venv/bin/pip install -r scripts/requirements-fixtures.txt
.venv/bin/python scripts/make_fixtures.py          # --help for options
```

Generated with: {versions}.

Arrays are NumPy `.npy` files (format 1.0, little-endian, C order, no pickles):
`float32` unless noted, `int64` for labels and ArgMax outputs.

Golden outputs are computed by ONNX Runtime on the committed `.onnx` file with
1 thread and graph optimisations disabled (node-by-node semantics); at
generation time they are also checked against PyTorch and against
`onnx.reference.ReferenceEvaluator`.  Training and random initialisation are
seeded and two runs on the same machine write byte-identical files, but
PyTorch results are not promised to be bit-identical on other CPUs or library
versions, so regenerating elsewhere may change weights; the goldens always
match the models they sit next to.

## digits/ and models/

`sklearn.datasets.load_digits()`, `X / 16` as float32, split with
`train_test_split(test_size=360, stratify=y, random_state=0)`.

| file | contents |
| --- | --- |
| `digits/test_x_mlp.npy` | float32 `[{n_test}, 64]` test images, flattened |
| `digits/test_x_cnn.npy` | float32 `[{n_test}, 1, 8, 8]` same images, NCHW |
| `digits/test_y.npy` | int64 `[{n_test}]` labels |
| `digits/digits_mlp_expected.npy` | float32 `[{n_test}, 10]` ORT logits of `models/digits_mlp.onnx` on `test_x_mlp.npy` |
| `digits/digits_cnn_expected.npy` | float32 `[{n_test}, 10]` ORT logits of `models/digits_cnn.onnx` on `test_x_cnn.npy` |
| `digits/info.json` | split parameters, accuracies, op types, versions |
| `models/digits_mlp.onnx` | opset 13, input `input` `[batch, 64]`, output `logits` `[batch, 10]`: Linear 64-128-64-10 with ReLU (3 x Gemm transB=1) |
| `models/digits_cnn.onnx` | opset 13, input `input` `[batch, 1, 8, 8]`, output `logits`: Conv(1->16,3x3,pad 1)+BatchNormalization+Relu, Conv(16->32)+BatchNormalization+Relu, MaxPool 2, Flatten, Gemm 512->64, Relu, (Dropout removed), Gemm 64->10 |
| `models/digits_mlp1024.onnx` | opset 13, Linear 64-1024-1024-10 with ReLU (1.1M parameters), input `input` `[batch, 64]`, output `logits` |
| `models/digits_mlp1024_pruned90.onnx` | the same network pruned in PyTorch (`torch.nn.utils.prune.global_unstructured`, L1, 90%; 5 masked fine-tune epochs; `prune.remove`): zeros stored in dense initializers |
| `digits/digits_mlp1024{,_pruned90}_expected.npy` | float32 `[{n_test}, 10]` ORT logits of those models on `test_x_mlp.npy` |
| `digits/info_wide_mlp.json` | how the wide MLPs were made, weight zero fraction, accuracies |

Test accuracy: {accuracies}.

The CNN's BatchNormalization nodes are kept on purpose (the TorchScript
exporter's eval-mode peephole pass would otherwise fold them into the Conv
weights; the script exports the eval-mode model with
`training=TrainingMode.PRESERVE` to skip that pass).  Both models have a
symbolic batch dimension `batch`.

## zoo/

Randomly initialised (seeded) models -- two torchvision architectures and
small models of our own that each target a group of ops -- exported with
PyTorch's TorchScript exporter (`torch.onnx.export(..., dynamo=False, opset_version=N)`), one
directory per (model, opset): `zoo/<model>_op<N>/` holds `model.onnx`,
`input.npy` (or `input_0.npy`, `input_1.npy`, ... in graph-input order) and
`expected.npy` (or `expected_0.npy`, ... in graph-output order).  Batch is 2
unless the shape says otherwise.  BatchNorm layers get random running
statistics so that fused or unfused BN is never an identity.

`zoo/manifest.json` lists every entry with opset, input/output names, files,
shapes and dtypes, op types, structural features (depthwise conv, Clip with
input bounds, ...), the max |PyTorch - ORT| and |onnx.reference - ORT|
differences seen at generation time and a suggested tolerance.

{table}

### Models

{descriptions}

### What the exporter produced (worth knowing when importing)

- Some models compute shapes in the graph (`shape_ops`, which also has a
  dynamic batch, and `elementwise_broadcast`): `Shape`, `Gather`,
  `Unsqueeze`, `Concat` feeding `Reshape`/`Slice`/`Expand`; `torch.chunk` is
  exported as `Shape`/`Div`/`Mul` arithmetic feeding `Slice` (only
  `torch.split` with explicit sizes gives `Split`), and `F.pad` gets its pads
  from a `ConstantOfShape`/`Concat`/`Transpose`/`Reshape`/`Cast` chain.
  Constant folding of these subgraphs is left to the runtime.
- Opset 11 files take axes / split sizes as attributes where opset 13+ takes
  them as inputs (`Squeeze`, `Unsqueeze`, `Split`, `ReduceSum`; `ReduceMean`
  keeps the attribute up to opset 17); at opset 11
  a Softmax/LogSoftmax over a non-last axis is exported as
  `Transpose(perm [0,3,2,1]) -> Softmax(axis=3) -> Transpose`, at 13 as
  `Softmax(axis=1)`; opset-11 Softmax semantics (flatten to 2-D at `axis`)
  matter for the last-axis case only.
- `Clip` gets min/max as inputs (opset >= 11); one-sided clamps leave the other
  optional input as the empty name `""`.
- `Identity` nodes appear where the exporter de-duplicated equal initialisers
  (e.g. zero biases in `squeezenet1_1`).
- Without `keep_batchnorm` the exporter folds BatchNorm into the preceding Conv
  (the usual case for exported models); `conv1d_net_bn` and `digits_cnn` keep
  `BatchNormalization` nodes.
- IR versions are 6 (opset 11), 7 (opset 13) and 8 (opset 15/17).

## ONNX backend node tests

Not committed here.  `scripts/fixtures/onnx_node_tests.py --out DIR` writes the
ONNX project's per-operator test cases (`DIR/node/<test>/model.onnx` plus
`test_data_set_0/*.pb`) using only the packages in
`scripts/requirements-ci.txt`; recent onnx wheels no longer ship them ready-made.
"""


def write_readme(w: Writer, out: Path, digits: Dict, entries: List[Dict], table: str) -> None:
    v = versions()
    ver = ", ".join(f"{k} {val}" for k, val in v.items())
    if digits:
        acc = "; ".join(
            f"{k} {m['test_accuracy_ort'] * 100:.2f}% (ORT), {m['test_accuracy_torch'] * 100:.2f}% (PyTorch)"
            for k, m in digits["models"].items()
        )
        n_test = digits["split"]["n_test"]
    else:
        acc, n_test = "(digits not regenerated)", DIGITS_TEST_SIZE
    seen, desc = set(), []
    for e in entries:
        if e["model"] in seen:
            continue
        seen.add(e["model"])
        ops = sorted({x["opset"] for x in entries if x["model"] == e["model"]})
        desc.append(f"- **{e['model']}** (opset {', '.join(map(str, ops))}; {e['source']}): {e['description']}")
    w.text(out / "README.md", README_TEMPLATE.format(
        versions=ver, n_test=n_test, accuracies=acc, table=table, descriptions="\n".join(desc)))


# --------------------------------------------------------------------------


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=REPO_ROOT / "Tests" / "Fixtures",
                    help="output directory (default: <repo>/Tests/Fixtures)")
    ap.add_argument("--only", choices=["all", "digits", "calib", "wide-mlp", "zoo"], default="all",
                    help="regenerate only part of the fixtures (README/manifest are written with --only all/zoo)")
    ap.add_argument("--no-torchvision", action="store_true",
                    help="skip the torchvision models (mobilenet_v2, squeezenet1_1) even if torchvision is installed "
                         "(their zoo directories are then removed, like any stale entry)")
    args = ap.parse_args(argv)

    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    w = Writer(out)
    print(f"writing fixtures to {out}")
    print("versions: " + ", ".join(f"{k}={v}" for k, v in versions().items()))

    with_tv = not args.no_torchvision
    if with_tv:
        try:
            import torchvision  # noqa: F401
        except ImportError:
            print("torchvision not installed: skipping mobilenet_v2/squeezenet1_1")
            with_tv = False

    digits: Dict = {}
    if args.only in ("all", "digits"):
        digits = make_digits(w, out)
    elif (out / "digits" / "info.json").exists():
        digits = json.loads((out / "digits" / "info.json").read_text())

    if args.only in ("all", "digits", "calib"):
        make_calib(w, out)

    if args.only in ("all", "wide-mlp"):
        make_wide_mlp(w, out, load_split=load_digits_split, train=train, set_determinism=set_determinism,
                      export_onnx=export_onnx, ort_session=ort_session, opset=DIGITS_OPSET,
                      seed=DIGITS_SEED, versions=versions)

    if args.only in ("all", "zoo"):
        entries = make_zoo(w, out, with_tv)
        check_coverage(entries)
        manifest = {
            "generator": "scripts/make_fixtures.py",
            "versions": versions(),
            "golden_runtime": "onnxruntime CPUExecutionProvider, intra/inter_op_num_threads=1, "
                              "ORT_SEQUENTIAL, ORT_DISABLE_ALL",
            "models": entries,
        }
        w.json(out / "zoo" / "manifest.json", manifest)
        table = print_table(entries)
        write_readme(w, out, digits, entries, table)

    total = sum(n for _, n in w.written)
    print(f"\n{len(w.written)} files, {total / 1e6:.2f} MB written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
