# Sourced by scripts/attnbench and scripts/test: installs what a fresh machine lacks.
# - libopenblas-dev (Debian) via apt-get, when cblas.h or libopenblas.so is missing;
# - the Python packages of scripts/requirements.txt, when one of them does not import.
# Messages go to stderr so stdout stays clean for CSV.

ATTNBENCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

attnbench_log() { echo "attnbench: $*" >&2; }

ensure_swift() {
    if ! command -v swift >/dev/null 2>&1; then
        if [ -x /opt/swift/usr/bin/swift ]; then
            export PATH="/opt/swift/usr/bin:$PATH"
        else
            attnbench_log "swift not found on PATH; install Swift 6.1 or later (https://swift.org/install) and run again"
            exit 1
        fi
    fi
}

ensure_openblas() {
    if dpkg -s libopenblas-dev >/dev/null 2>&1 && [ -e /usr/include/x86_64-linux-gnu/cblas.h -o -e /usr/include/cblas.h -o -e /usr/include/aarch64-linux-gnu/cblas.h ]; then
        return 0
    fi
    attnbench_log "installing libopenblas-dev (OpenBLAS) with apt-get"
    local sudo=""
    if [ "$(id -u)" != "0" ]; then
        if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
            attnbench_log "libopenblas-dev is missing and this user cannot install it; run: sudo apt-get install -y libopenblas-dev"
            exit 1
        fi
    fi
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq libopenblas-dev >&2
}

ensure_python_packages() {
    local python="${PYTHON:-python3}"
    if ! command -v "$python" >/dev/null 2>&1; then
        attnbench_log "python3 not found; install Python 3.10+ to use scripts/plot.py"
        return 1
    fi
    # Each pinned requirement must be installed at its pinned version.
    if ! "$python" - "$ATTNBENCH_ROOT/scripts/requirements.txt" <<'PY' >/dev/null 2>&1
import importlib.metadata as m, sys
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if not line:
        continue
    name, _, version = line.partition("==")
    if m.version(name.strip()) != version.strip():
        sys.exit(1)
PY
    then
        attnbench_log "installing Python packages from scripts/requirements.txt"
        "$python" -m pip install --quiet --disable-pip-version-check -r "$ATTNBENCH_ROOT/scripts/requirements.txt" >&2
    fi
}

# Builds the release binary when it is missing or older than a source file, saying so in one
# line; SwiftPM's own output goes to .build/attnbench-build.log and is shown only when the
# build fails. Quiet when the binary is up to date.
build_release() {
    local binary="$ATTNBENCH_ROOT/.build/release/attnbench"
    local log="$ATTNBENCH_ROOT/.build/attnbench-build.log"
    if [ -x "$binary" ] && [ -z "$(cd "$ATTNBENCH_ROOT" && find Sources Package.swift Package.resolved -newer "$binary" -print -quit 2>/dev/null)" ]; then
        return 0
    fi
    attnbench_log "building attnbench for this CPU…"
    mkdir -p "$ATTNBENCH_ROOT/.build"
    if ! (cd "$ATTNBENCH_ROOT" && swift build -c release --product attnbench >"$log" 2>&1); then
        tail -n 40 "$log" >&2
        attnbench_log "release build failed (the whole log: $log)"
        exit 1
    fi
    # SwiftPM leaves an up-to-date binary untouched; mark it as newer than the sources it was built from.
    touch "$binary"
}
