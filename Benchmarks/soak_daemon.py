#!/usr/bin/env python3
"""Soak benchmark of `edgeprune serve` (issue 6): replays the digits test inputs at --rate
inferences per second for --minutes, and measures

  - cold start to first inference: from spawning the process to the first line in the file sink;
  - daemon RSS (VmRSS) every --sample-seconds; growth after the warm-up (--warmup-seconds):
    the highest RSS after warm-up minus the RSS at the end of warm-up;
  - accounting at the end (GET /status): every window the source made is an inference, a
    counted drop, or still queued; errors (source, inference, sinks, persistence) must be zero;
  - the size of the stripped release binary.

Standard library only. Prints a summary and writes --json. Exits 1 when a target is missed:
RSS growth <= 1 MiB, RSS <= 30 MiB, binary <= 20 MiB, cold start <= 200 ms, no error, every
window accounted for.

  swift build -c release --product edgeprune
  python3 Benchmarks/soak_daemon.py --binary .build/release/edgeprune --minutes 30 --json out/soak.json
"""
import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIGITS = os.path.join(ROOT, "Tests", "Fixtures", "digits")
MLP = os.path.join(ROOT, "Tests", "Fixtures", "models", "digits_mlp.onnx")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


def get(port, token, path):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.read()


def stripped_size(binary, workdir):
    out = os.path.join(workdir, "edgeprune.stripped")
    subprocess.run(["strip", "-o", out, binary], check=True)
    return os.path.getsize(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", required=True, help="the edgeprune release binary")
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--rate", type=float, default=200, help="inferences per second (replay rate)")
    ap.add_argument("--warmup-seconds", type=float, default=60)
    ap.add_argument("--sample-seconds", type=float, default=5)
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    if args.minutes * 60 <= args.warmup_seconds:
        sys.exit("error: --minutes must run past --warmup-seconds")
    binary = os.path.abspath(args.binary)
    if not os.access(binary, os.X_OK):
        sys.exit(f"error: '{binary}' is not an executable")

    work = tempfile.mkdtemp(prefix="edgeprune-soak-")
    try:
        model = os.path.join(work, "mlp.epm")
        subprocess.run([binary, "prune", MLP, "--ladder", "0.5,0.8", "--calib", os.path.join(DIGITS, "calib_x_mlp.npy"),
                        "--labels", os.path.join(DIGITS, "calib_y.npy"), "-o", model], check=True, stdout=subprocess.DEVNULL)
        token = secrets.token_urlsafe(24)
        token_path = os.path.join(work, "token")
        with open(os.open(token_path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write(token)
        port = free_port()
        sink = os.path.join(work, "inferences.jsonl")
        config = os.path.join(work, "config.yaml")
        with open(config, "w") as f:
            f.write(f"""device: {{id: soak-01}}
model: {{path: {model}}}
source: {{replay: {{path: {os.path.join(DIGITS, 'test_x_mlp.npy')}, rate: {args.rate}, loop: true}}}}
budgets: {{latency_p95_ms: 5, accuracy_floor: 0.5}}
sinks:
  - {{type: file, path: {sink}, max_bytes: 4194304, keep: 1}}
http: {{enabled: true, port: {port}, token_file: {token_path}}}
state: {{directory: {os.path.join(work, 'state')}, persist_interval_seconds: 30}}
log: {{level: notice}}
""")
        log = open(os.path.join(work, "daemon.log"), "w")
        t0 = time.monotonic()
        proc = subprocess.Popen([binary, "serve", "--config", config], stdout=subprocess.DEVNULL, stderr=log)
        cold = None
        while time.monotonic() - t0 < 10:
            if os.path.exists(sink) and os.path.getsize(sink) > 0:
                cold = time.monotonic() - t0
                break
            if proc.poll() is not None:
                sys.exit(f"error: the daemon exited with {proc.returncode}; see {log.name}")
            time.sleep(0.0005)
        if cold is None:
            sys.exit("error: no inference within 10 s of the start")
        print(f"cold start to first inference: {cold * 1000:.1f} ms", flush=True)

        samples = []
        end = t0 + args.minutes * 60
        while time.monotonic() < end:
            time.sleep(min(args.sample_seconds, max(0, end - time.monotonic())))
            if proc.poll() is not None:
                sys.exit(f"error: the daemon exited with {proc.returncode} during the soak; see {log.name}")
            t = time.monotonic() - t0
            samples.append((t, rss_kib(proc.pid)))
            if len(samples) % max(1, int(60 / args.sample_seconds)) == 0:
                print(f"  {t / 60:5.1f} min  RSS {samples[-1][1] / 1024:.2f} MiB", flush=True)
        status = json.loads(get(port, token, "/status"))
        metrics = get(port, token, "/metrics").decode()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)

        after = [r for t, r in samples if t >= args.warmup_seconds]
        at_warmup = after[0]
        growth_kib = max(after) - at_warmup
        q, loop, src = status["queue"], status["loop"], status["source"]
        accounted = loop["inferences"] + loop["shape_errors"] + loop["inference_errors"] + q["dropped"] + q["depth"]
        errors = {"source": src["errors"], "inference": loop["inference_errors"], "shape": loop["shape_errors"],
                  "sinks": sum(loop["sink_errors"].values()), "persist": status["persist_failures"]}
        size = stripped_size(binary, work)
        seconds = samples[-1][0]
        figures = {
            "minutes": args.minutes, "rate": args.rate, "cold_start_ms": cold * 1000,
            "rss_mib_at_warmup": at_warmup / 1024, "rss_mib_max": max(r for _, r in samples) / 1024,
            "rss_growth_after_warmup_kib": growth_kib, "stripped_binary_mib": size / (1 << 20),
            "windows": src["windows"], "inferences": loop["inferences"], "dropped": q["dropped"], "queued": q["depth"],
            "achieved_rate": loop["inferences"] / seconds, "errors": errors, "exit_code": code,
            "rss_samples": samples,
        }
        checks = {
            "rss growth after warm-up <= 1 MiB": growth_kib <= 1024,
            "daemon RSS <= 30 MiB": figures["rss_mib_max"] <= 30,
            "stripped binary <= 20 MiB": figures["stripped_binary_mib"] <= 20,
            "cold start to first inference <= 200 ms": cold <= 0.2,
            "no error": all(v == 0 for v in errors.values()),
            "every window accounted for (inference, counted drop, or queued)": accounted == src["windows"] or accounted + 1 == src["windows"],
            "clean exit on SIGTERM": code == 0,
        }
        figures["checks"] = checks
        figures["edgeprune_dropped_windows_total"] = [l for l in metrics.splitlines() if l.startswith("edgeprune_dropped_windows_total")]
        print(f"ran {seconds / 60:.1f} min: {loop['inferences']} inferences ({figures['achieved_rate']:.1f}/s), "
              f"{q['dropped']} dropped (counted), {q['depth']} queued, errors {errors}")
        print(f"RSS {at_warmup / 1024:.2f} MiB after warm-up, max {figures['rss_mib_max']:.2f} MiB, growth {growth_kib} KiB; "
              f"stripped binary {figures['stripped_binary_mib']:.2f} MiB; cold start {cold * 1000:.1f} ms")
        for name, ok in checks.items():
            print(f"  {'met    ' if ok else 'NOT met'}  {name}")
        if args.json:
            with open(args.json + ".tmp", "w") as f:
                json.dump(figures, f, indent=2)
            os.replace(args.json + ".tmp", args.json)
        sys.exit(0 if all(checks.values()) else 1)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
