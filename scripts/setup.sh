#!/usr/bin/env bash
# One-time set-up on a fresh Debian 12 machine with Swift: installs what is missing and nothing
# else. Idempotent; safe to run before every test or demo run.
#   - Debian packages (apt-get, through sudo when not root): a C compiler, python3 with venv,
#     pkg-config, libgpiod-dev, libmosquitto-dev, mosquitto, openssl and binutils
#   - a Python venv in .venv with scripts/requirements-ci.txt (onnx for the backend test data,
#     onnxruntime for the comparison benchmark, numpy)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*"; }

if ! command -v swift >/dev/null 2>&1; then
    say "error: swift is not on PATH; install the Swift 6 toolchain first (https://www.swift.org/install/linux/)"
    exit 1
fi

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v cc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
if command -v python3 >/dev/null 2>&1 && ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    missing+=(python3-venv)
fi
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
# The daemon's system libraries: libgpiod 1.6 (GPIO), libmosquitto (MQTT) and the broker the
# end-to-end tests start.
dpkg -s libgpiod-dev >/dev/null 2>&1 || missing+=(libgpiod-dev)
dpkg -s libmosquitto-dev >/dev/null 2>&1 || missing+=(libmosquitto-dev)
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
# The MQTT TLS tests make a throw-away CA with the openssl command; the soak benchmark strips the
# binary with binutils' strip.
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v strip >/dev/null 2>&1 || missing+=(binutils)
if [ ${#missing[@]} -gt 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi

# Python tools in a venv, re-installed only when the pinned requirements change.
req=scripts/requirements-ci.txt
stamp=.venv/.requirements-ci.sha256
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "creating .venv with $req"
    python3 -m venv .venv
    .venv/bin/pip install -q --disable-pip-version-check -r "$req"
    echo "$want" > "$stamp"
fi
say "ready"
