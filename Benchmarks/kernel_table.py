#!/usr/bin/env python3
"""Markdown tables from `edgeprune bench-kernels --json FILE` records (for the README).

    python3 Benchmarks/kernel_table.py FILE.json

Prints (1) the median speedup over the Linear shapes at batch 1 (and batch 8) per dtype, format
and sparsity, the figure the kernel targets are stated in, and (2) the conv layers' speedups.
Standard library only.
"""

from __future__ import annotations

import json
import statistics
import sys
from collections import OrderedDict


def main(argv) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    records = json.load(open(argv[1]))
    levels = sorted({r["sparsity"] for r in records})
    for batch in sorted({r["batch"] for r in records if r["op"] == "linear"}):
        groups: "OrderedDict[tuple, dict]" = OrderedDict()
        for r in records:
            if r["op"] == "linear" and r["batch"] == batch:
                groups.setdefault((r["dtype"], r["format"]), {}).setdefault(r["sparsity"], []).append(r["speedup"])
        print(f"\nLinear, batch {batch}: median speedup over the shapes (our f32 dense = 1)\n")
        print("| dtype | format | " + " | ".join(f"{s:.2f}" for s in levels) + " |")
        print("|---|---|" + "---|" * len(levels))
        for (dtype, fmt), by in groups.items():
            cells = [f"{statistics.median(by[s]):.2f}" if s in by else "" for s in levels]
            print(f"| {dtype} | {fmt} | " + " | ".join(cells) + " |")
    convs: "OrderedDict[tuple, dict]" = OrderedDict()
    for r in records:
        if r["op"] == "conv":
            convs.setdefault((r["shape"], r["format"]), {})[r["sparsity"]] = r["speedup"]
    if convs:
        print("\nConv, batch 1: speedup (our f32 dense = 1)\n")
        print("| layer | format | " + " | ".join(f"{s:.2f}" for s in levels) + " |")
        print("|---|---|" + "---|" * len(levels))
        for (shape, fmt), by in convs.items():
            print(f"| {shape} | {fmt} | " + " | ".join(f"{by[s]:.2f}" if s in by else "" for s in levels) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
