#!/usr/bin/env bash
# Regenerates Sources/EdgePruneONNX/Generated/onnx.pb.swift from ONNX's onnx.proto
# with protoc + protoc-gen-swift (swift-protobuf). Run `scripts/gen_onnx_proto.sh --help`.
set -euo pipefail

ONNX_VERSION_DEFAULT="1.23.2"
SWIFT_PROTOBUF_VERSION_DEFAULT="1.39.0"
SWIFT_PROTOBUF_URL_DEFAULT="https://github.com/apple/swift-protobuf.git"

usage() {
    cat <<EOF
Usage: scripts/gen_onnx_proto.sh [options]

Generates Sources/EdgePruneONNX/Generated/onnx.pb.swift (public Swift types such as
Onnx_ModelProto, Onnx_GraphProto, Onnx_NodeProto) from onnx.proto (proto2, package
"onnx"), taken from an installed onnx wheel. The .proto itself is not committed.

Where onnx.proto comes from (first that applies):
  --proto PATH          use this onnx.proto. Its onnx version is read from the
                        onnx-*.dist-info next to it; if there is none, pass
                        --onnx-version to state it (it is written in the header).
  --python PY           a Python interpreter with onnx installed (found via
                        importlib.metadata; onnx itself is not imported).
  (neither)             create a temporary venv and pip install
                        onnx==\$ONNX_VERSION --no-deps into it (needs python3 + PyPI).

The onnx version found must equal --onnx-version (default $ONNX_VERSION_DEFAULT).

protoc-gen-swift (first that applies):
  --protoc-gen-swift PATH   use this binary (its version must be --swift-protobuf-version).
  (otherwise)               clone swift-protobuf at tag --swift-protobuf-version into
                            TOOLS_DIR/swift-protobuf (reused if already there) and
                            'swift build -c release --product protoc-gen-swift'
                            (skipped if that build already exists with the right version).

Options:
  --proto PATH                  see above
  --python PY                   see above
  --onnx-version V              expected/declared onnx version (default $ONNX_VERSION_DEFAULT;
                                env ONNX_VERSION)
  --protoc PATH                 protoc binary (default: protoc on PATH; Debian package
                                protobuf-compiler)
  --protoc-gen-swift PATH       see above
  --swift-protobuf-version V    swift-protobuf tag to build (default $SWIFT_PROTOBUF_VERSION_DEFAULT,
                                must match Package.swift's swift-protobuf dependency)
  --swift-protobuf-url URL      git URL (default $SWIFT_PROTOBUF_URL_DEFAULT)
  --tools-dir DIR               cache for tool builds (default \$EDGEPRUNE_TOOLS, else /work/tools)
  --out FILE                    output file (default Sources/EdgePruneONNX/Generated/onnx.pb.swift
                                in this repo)
  -h, --help                    show this help

Options passed to protoc-gen-swift: Visibility=Public (tests and the CLI use the types),
FileNaming=DropPath, UseAccessLevelOnImports=true (=> 'public import SwiftProtobuf').
EOF
}

die() { echo "gen_onnx_proto.sh: error: $*" >&2; exit 1; }
log() { echo "gen_onnx_proto.sh: $*" >&2; }

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"

PROTO=""
PYTHON=""
ONNX_VERSION="${ONNX_VERSION:-$ONNX_VERSION_DEFAULT}"
PROTOC="${PROTOC:-}"
PLUGIN=""
SP_VERSION="$SWIFT_PROTOBUF_VERSION_DEFAULT"
SP_URL="$SWIFT_PROTOBUF_URL_DEFAULT"
TOOLS_DIR="${EDGEPRUNE_TOOLS:-/work/tools}"
OUT="$REPO_ROOT/Sources/EdgePruneONNX/Generated/onnx.pb.swift"
ONNX_VERSION_EXPLICIT=0

need_arg() { [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value"; }
while [[ $# -gt 0 ]]; do
    case "$1" in
        -h|--help) usage; exit 0 ;;
        --proto) need_arg "$@"; PROTO="$2"; shift 2 ;;
        --python) need_arg "$@"; PYTHON="$2"; shift 2 ;;
        --onnx-version) need_arg "$@"; ONNX_VERSION="$2"; ONNX_VERSION_EXPLICIT=1; shift 2 ;;
        --protoc) need_arg "$@"; PROTOC="$2"; shift 2 ;;
        --protoc-gen-swift) need_arg "$@"; PLUGIN="$2"; shift 2 ;;
        --swift-protobuf-version) need_arg "$@"; SP_VERSION="$2"; shift 2 ;;
        --swift-protobuf-url) need_arg "$@"; SP_URL="$2"; shift 2 ;;
        --tools-dir) need_arg "$@"; TOOLS_DIR="$2"; shift 2 ;;
        --out) need_arg "$@"; OUT="$2"; shift 2 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done
[[ -n "$PROTO" && -n "$PYTHON" ]] && die "give at most one of --proto and --python"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/gen_onnx_proto.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

# ---------------------------------------------------------------- onnx.proto
# Prints "<version>\t<path of onnx/onnx.proto>" for the onnx distribution seen by $1.
locate_with_python() {
    "$1" - <<'PY'
import sys
from importlib import metadata
try:
    dist = metadata.distribution("onnx")
except metadata.PackageNotFoundError:
    sys.exit("onnx is not installed for " + sys.executable)
path = dist.locate_file("onnx/onnx.proto")
if not path.is_file():
    sys.exit("onnx %s has no onnx/onnx.proto at %s" % (dist.version, path))
print("%s\t%s" % (dist.version, path))
PY
}

FOUND_VERSION=""
if [[ -n "$PROTO" ]]; then
    [[ -f "$PROTO" ]] || die "no such file: $PROTO"
    PROTO="$(cd "$(dirname "$PROTO")" && pwd)/$(basename "$PROTO")"
    # <site-packages>/onnx/onnx.proto -> <site-packages>/onnx-<version>.dist-info/METADATA
    shopt -s nullglob
    metas=("$(dirname "$(dirname "$PROTO")")"/onnx-*.dist-info/METADATA)
    shopt -u nullglob
    if [[ ${#metas[@]} -eq 1 ]]; then
        FOUND_VERSION="$(sed -n 's/^Version: *//p' "${metas[0]}" | head -n1)"
    elif [[ $ONNX_VERSION_EXPLICIT -eq 1 ]]; then
        log "cannot tell the onnx version of $PROTO; taking --onnx-version $ONNX_VERSION as given"
        FOUND_VERSION="$ONNX_VERSION"
    else
        die "cannot tell the onnx version of $PROTO (no single onnx-*.dist-info beside it); pass --onnx-version"
    fi
else
    if [[ -z "$PYTHON" ]]; then
        command -v python3 >/dev/null || die "python3 not found (or pass --proto / --python)"
        log "creating a temporary venv and installing onnx==$ONNX_VERSION (no deps) ..."
        python3 -m venv "$TMP/venv" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
        "$TMP/venv/bin/pip" install --quiet --disable-pip-version-check --no-deps \
            "onnx==$ONNX_VERSION" >&2 || die "pip install onnx==$ONNX_VERSION failed"
        PYTHON="$TMP/venv/bin/python"
    fi
    located="$(locate_with_python "$PYTHON")" || die "could not locate onnx.proto with $PYTHON"
    FOUND_VERSION="${located%%$'\t'*}"
    PROTO="${located#*$'\t'}"
fi
[[ "$FOUND_VERSION" == "$ONNX_VERSION" ]] ||
    die "onnx.proto at $PROTO is from onnx==$FOUND_VERSION, expected onnx==$ONNX_VERSION (pass --onnx-version to change)"
grep -q '^syntax = "proto2";' "$PROTO" || die "$PROTO is not proto2 syntax (want the plain onnx.proto)"
grep -q '^package onnx;' "$PROTO" || die "$PROTO does not declare 'package onnx;'"
log "onnx.proto: $PROTO (onnx==$FOUND_VERSION)"

# ---------------------------------------------------------------- protoc
if [[ -z "$PROTOC" ]]; then
    PROTOC="$(command -v protoc || true)"
    [[ -n "$PROTOC" ]] || die "protoc not found (Debian: apt-get install protobuf-compiler, or pass --protoc)"
fi
PROTOC_VERSION="$("$PROTOC" --version)"   # e.g. "libprotoc 3.21.12"
log "protoc: $PROTOC ($PROTOC_VERSION)"

# ---------------------------------------------------------------- protoc-gen-swift
if [[ -z "$PLUGIN" ]]; then
    command -v swift >/dev/null || die "swift not found (needed to build protoc-gen-swift)"
    src="$TOOLS_DIR/swift-protobuf"
    mkdir -p "$TOOLS_DIR"
    if [[ ! -d "$src/.git" ]]; then
        log "cloning swift-protobuf $SP_VERSION into $src ..."
        git clone --quiet --branch "$SP_VERSION" "$SP_URL" "$src"
    fi
    have="$(git -C "$src" describe --tags --exact-match 2>/dev/null || true)"
    if [[ "$have" != "$SP_VERSION" ]]; then
        log "switching $src from '${have:-?}' to tag $SP_VERSION ..."
        git -C "$src" fetch --quiet --tags "$SP_URL"
        git -C "$src" -c advice.detachedHead=false checkout --quiet "refs/tags/$SP_VERSION"
    fi
    PLUGIN="$(cd "$src" && swift build -c release --product protoc-gen-swift --show-bin-path)/protoc-gen-swift"
    if [[ -x "$PLUGIN" && "$("$PLUGIN" --version 2>/dev/null || true)" == "protoc-gen-swift $SP_VERSION" ]]; then
        log "reusing built $PLUGIN"
    else
        log "building protoc-gen-swift in $src (swift build -c release; minutes on first run) ..."
        (cd "$src" && swift build -c release --product protoc-gen-swift >&2)
    fi
fi
[[ -x "$PLUGIN" ]] || die "protoc-gen-swift not executable: $PLUGIN"
PLUGIN_VERSION="$("$PLUGIN" --version)"   # e.g. "protoc-gen-swift 1.39.0"
[[ "$PLUGIN_VERSION" == "protoc-gen-swift $SP_VERSION" ]] ||
    die "$PLUGIN reports '$PLUGIN_VERSION', expected 'protoc-gen-swift $SP_VERSION'"
log "protoc-gen-swift: $PLUGIN ($PLUGIN_VERSION)"

# ---------------------------------------------------------------- generate
mkdir -p "$TMP/gen"
"$PROTOC" \
    --plugin="protoc-gen-swift=$PLUGIN" \
    --proto_path="$(dirname "$PROTO")" \
    --swift_opt=Visibility=Public \
    --swift_opt=FileNaming=DropPath \
    --swift_opt=UseAccessLevelOnImports=true \
    --swift_out="$TMP/gen" \
    "$(basename "$PROTO")"
gen="$TMP/gen/$(basename "$PROTO" .proto).pb.swift"
[[ -s "$gen" ]] || die "protoc produced no $gen"

PROTO_SHA256="$( (sha256sum "$PROTO" 2>/dev/null || shasum -a 256 "$PROTO") | cut -d' ' -f1)"
mkdir -p "$(dirname "$OUT")"
{
    echo "// GENERATED FILE - DO NOT EDIT BY HAND."
    echo "// Generated by scripts/gen_onnx_proto.sh from onnx.proto of onnx==$FOUND_VERSION"
    echo "// (onnx.proto sha256 $PROTO_SHA256)."
    echo "// Tools: $PROTOC_VERSION, $PLUGIN_VERSION."
    echo "// protoc-gen-swift options: Visibility=Public, FileNaming=DropPath, UseAccessLevelOnImports=true."
    echo "// To change this file, change and re-run scripts/gen_onnx_proto.sh."
    echo "//"
    cat "$gen"
} >"$TMP/out.swift"
mv "$TMP/out.swift" "$OUT"
log "wrote $OUT ($(wc -c <"$OUT" | tr -d ' ') bytes)"
