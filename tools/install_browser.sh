#!/usr/bin/env sh
# Install what `make test-browser` needs, and nothing when it is already there:
#   - Debian's `chromium` package (apt), used through its path, /usr/bin/chromium;
#     Playwright's own browser download (`playwright install`) is never used;
#   - the Python package `playwright` (the project's `browser` extra) into the
#     given Python environment.
#
# usage: tools/install_browser.sh PYTHON
# BINKIT_CHROMIUM overrides the browser's path (then nothing is installed for it).
set -eu
PY="${1:-python3}"
CHROMIUM="${BINKIT_CHROMIUM:-/usr/bin/chromium}"

if [ ! -x "$CHROMIUM" ]; then
    if [ -n "${BINKIT_CHROMIUM:-}" ]; then
        echo "BINKIT_CHROMIUM=$CHROMIUM is not an executable file" >&2
        exit 1
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "$CHROMIUM is missing and there is no apt-get here: install Chromium," \
             "then point BINKIT_CHROMIUM at it" >&2
        exit 1
    fi
    SUDO=""
    if [ "$(id -u)" != 0 ]; then
        SUDO="sudo"
    fi
    echo "installing Debian's chromium (apt-get) ..."
    export DEBIAN_FRONTEND=noninteractive
    # A clean machine may have no package lists yet; update only when needed.
    $SUDO apt-get install -y -q --no-install-recommends chromium >/dev/null \
        || { $SUDO apt-get update -q >/dev/null \
             && $SUDO apt-get install -y -q --no-install-recommends chromium >/dev/null; }
    "$CHROMIUM" --version
fi

if ! "$PY" -c "import playwright.sync_api" >/dev/null 2>&1; then
    echo "installing playwright (pip, the project's [browser] extra) ..."
    "$PY" -m pip install --quiet -e ".[browser]"
fi
