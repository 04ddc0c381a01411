#!/usr/bin/env sh
# Run every notebook under nbval in quick mode as a student without the DIBCO data
# would: no BINKIT_DIBCO_ROOT, no BINKIT_REFERENCE_DIR, no user data folder, a fresh
# HOME, so each notebook takes its synthetic fallback (`make test-notebooks-nodata`).
#
# usage: tools/test_notebooks_nodata.sh PYTHON [pytest args...]
# Refuses to run (exit 3) if binkit still finds DIBCO data this way, e.g. a
# checkout with data/dibco in it: the run would not test the fallback.
set -eu
PY="$1"
shift
PY="$(cd "$(dirname "$PY")" && pwd)/$(basename "$PY")"    # absolute: we change HOME, not the folder
EMPTY="$(mktemp -d "${TMPDIR:-/tmp}/binkit-nodata.XXXXXX")"
trap 'rm -rf "$EMPTY"' EXIT INT TERM

nodata() {
    env -u BINKIT_DIBCO_ROOT -u BINKIT_REFERENCE_DIR -u BINKIT_SYNTHETIC_ROOT -u XDG_DATA_HOME \
        HOME="$EMPTY" BINKIT_DATA_HOME="$EMPTY/binkit" BINKIT_QUICK=1 MPLBACKEND=Agg "$@"
}

nodata "$PY" - <<'PY' || exit 3
import sys
from pathlib import Path
from binkit.datasets import dibco_root
try:
    root = dibco_root()
except FileNotFoundError:
    print("no-data run: binkit finds no DIBCO data, as intended")
else:
    sys.exit(f"no-data run refused: binkit still finds DIBCO data at {root}")
if Path("notebooks/reference").exists():
    sys.exit("no-data run refused: notebooks/reference exists (notebook 05 would read it)")
PY
start=$(date +%s)
status=0
nodata "$PY" -m pytest -p no:cacheprovider --nbval-lax --nbval-current-env notebooks "$@" || status=$?
echo "no-data notebook run: $(( $(date +%s) - start )) s, exit $status"
exit $status
