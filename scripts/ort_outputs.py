#!/usr/bin/env python3
"""Runs an ONNX model with ONNX Runtime and saves every output as .npy.

usage: ort_outputs.py MODEL.onnx INPUT.npy OUT_PREFIX

The model must have one runtime input; INPUT.npy is fed to it (converted to the input's element
type). ORT runs on the CPU with one thread and the default graph optimisations, so results are
reproducible. Output i is written to OUT_PREFIX_<i>.npy, in the model's output order. The tests
use this to check models EdgePrune exports against a second runtime
(Tests/EdgePruneONNXTests/ORTRunner.swift). Errors are one line on stderr and exit status 1
(2 for usage errors).
"""
import os
import sys

USAGE = "usage: ort_outputs.py MODEL.onnx INPUT.npy OUT_PREFIX"

# ORT type strings of the element types EdgePrune has (DType) -> numpy dtype names.
ORT_TYPES = {
    "tensor(float)": "float32",
    "tensor(uint8)": "uint8",
    "tensor(int8)": "int8",
    "tensor(int32)": "int32",
    "tensor(int64)": "int64",
    "tensor(bool)": "bool",
}


def fail(message, status=1):
    sys.stderr.write("error: " + " ".join(str(message).split()) + "\n")
    sys.exit(status)


def main(argv):
    if len(argv) != 4 or argv[1] in ("-h", "--help"):
        sys.stderr.write(USAGE + "\n")
        sys.exit(2)
    model, input_path, prefix = argv[1:]
    for path, what in ((model, "model"), (input_path, "input")):
        if not os.path.isfile(path):
            fail(f"{what} file '{path}' does not exist")
    out_dir = os.path.dirname(prefix) or "."
    if not os.path.isdir(out_dir):
        fail(f"output directory '{out_dir}' does not exist")
    try:
        import numpy as np
        import onnxruntime as ort
    except ImportError as e:
        fail(f"{e}; run scripts/setup.sh to create the venv with numpy and onnxruntime")

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    try:
        session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    except Exception as e:
        fail(f"ONNX Runtime cannot load '{model}': {e}")
    inputs = session.get_inputs()
    if len(inputs) != 1:
        fail(f"'{model}' has {len(inputs)} inputs ({', '.join(i.name for i in inputs)}); this script feeds one")
    try:
        x = np.load(input_path, allow_pickle=False)
    except Exception as e:
        fail(f"cannot read '{input_path}' as .npy: {e}")
    want = ORT_TYPES.get(inputs[0].type)
    if want is None:
        fail(f"input '{inputs[0].name}' of '{model}' has type {inputs[0].type}, which EdgePrune does not have")
    x = np.ascontiguousarray(x.astype(want, copy=False))
    try:
        outputs = session.run(None, {inputs[0].name: x})
    except Exception as e:
        fail(f"ONNX Runtime failed on '{model}' with input {x.dtype}{list(x.shape)}: {e}")
    for i, y in enumerate(outputs):
        np.save(f"{prefix}_{i}.npy", np.ascontiguousarray(y))


if __name__ == "__main__":
    main(sys.argv)
