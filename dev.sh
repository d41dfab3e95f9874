#!/usr/bin/env bash
# The two commands of the README.
#   ./dev.sh demo   set up, build the demo workspace (images, ground truth, two detectors'
#                   predictions, analyses) and serve the UI on it
#   ./dev.sh test   set up and run the test suite (extra arguments go to pytest)
# Setup is a virtual environment in .venv with branchmark installed in editable mode.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
VENV=.venv

setup() {
    if [ ! -x "$VENV/bin/python" ]; then
        "$PYTHON" -m venv "$VENV"
    fi
    local stamp="$VENV/.installed-$1"
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
        "$VENV/bin/python" -m pip install --quiet --upgrade pip
        "$VENV/bin/python" -m pip install --quiet -e ".[$1]"
        touch "$stamp"
    fi
    # Compile the numba kernels now (after an install or a change of the sources; otherwise
    # this only loads them, <1 s), so that the first evaluation or analysis does not wait.
    "$VENV/bin/branchmark" warmup --quiet \
        || echo "warning: branchmark warmup failed; kernels compile on first use" >&2
}

ensure_chromium() {
    # Browser tests drive Debian's Chromium; install it when we may (root, apt available).
    if [ -x /usr/bin/chromium ]; then return 0; fi
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
            || echo "warning: could not install chromium; browser tests will be skipped" >&2
    fi
}

cmd=${1:-}
shift || true
case "$cmd" in
    demo)
        setup "postgres"
        exec "$VENV/bin/branchmark" demo "$@"
        ;;
    test)
        setup "test,bench"
        ensure_chromium
        exec "$VENV/bin/python" -m pytest "$@"
        ;;
    *)
        echo "usage: ./dev.sh demo|test [args]" >&2
        exit 2
        ;;
esac
