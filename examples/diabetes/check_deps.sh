#!/bin/sh
# check_deps.sh: make sure the Python that runs the diabetes example has
# pandas, scikit-learn, xgboost and joblib.
#
# usage: check_deps.sh            (PYTHON=/path/to/python3 to check another one)
#
# Exits 0 at once (well under a second) when they are all importable. If not,
# and we are root on a system with apt-get (Debian, Ubuntu), it installs the
# Debian packages and checks again; otherwise it prints what to install and
# exits 1. joblib needs no package of its own: python3-sklearn depends on
# python3-joblib.
set -u

PYTHON=${PYTHON:-/usr/bin/python3}
PACKAGES="python3-pandas python3-sklearn python3-xgboost"

# Locate the modules without importing them: importing all four takes about a
# second, finding them a few milliseconds.
missing() {
	[ -x "$PYTHON" ] || { echo "python3 pandas sklearn xgboost joblib"; return; }
	"$PYTHON" - <<'PY' 2>/dev/null || echo "pandas sklearn xgboost joblib"
import importlib.util
print(" ".join(m for m in ("pandas", "sklearn", "xgboost", "joblib")
               if importlib.util.find_spec(m) is None))
PY
}

need=$(missing)
[ -z "$need" ] && exit 0

echo "check_deps: $PYTHON lacks: $need" >&2
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && [ "$PYTHON" = /usr/bin/python3 ]; then
	echo "check_deps: installing $PACKAGES with apt-get" >&2
	apt-get update &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 $PACKAGES ||
		{ echo "check_deps: apt-get failed" >&2; exit 1; }
	need=$(missing)
	[ -z "$need" ] && exit 0
	echo "check_deps: still missing after apt-get: $need" >&2
	exit 1
fi

if [ ! -x "$PYTHON" ]; then
	echo "check_deps: no python3 at $PYTHON; install python3 $PACKAGES (Debian) or set PYTHON" >&2
	exit 1
fi
cat >&2 <<MSG
check_deps: install them, then run this again, for example:
  Debian/Ubuntu, as root: apt-get update && apt-get install -y $PACKAGES
  pip:                    $PYTHON -m pip install pandas scikit-learn xgboost joblib
  or set PYTHON to a python3 that has them (the tasks run the python3 first on PATH).
MSG
exit 1
