#!/usr/bin/env bash
# make demo: run the seed's XGBoost diabetes pipeline locally, twice (the
# second run is served from the cache). Does its own setup.
set -euo pipefail
cd "$(dirname "$0")/.."
ALOFT=${ALOFT:-bin/aloft}
URL=https://raw.githubusercontent.com/jbrownlee/Datasets/master/pima-indians-diabetes.data.csv

echo "== checking the Python libraries the example needs"
examples/diabetes/check_deps.sh

args=()
reachable() {
  if command -v curl >/dev/null; then curl -fsS --max-time 10 -o /dev/null "$URL" 2>/dev/null; return; fi
  if command -v wget >/dev/null; then wget -q -T 10 -O /dev/null "$URL" 2>/dev/null; return; fi
  return 1
}
LOCAL=examples/diabetes/data/pima-indians-diabetes.data.csv
data=
if reachable; then
  echo "== dataset: $URL"
else
  data=$LOCAL
  echo "== the dataset URL cannot be reached from here ($URL);"
  echo "   using the repository's copy of the same file: $data"
  args+=(--input "dataset=$data")
fi

# The tasks need the Python that has pandas, scikit-learn and xgboost first
# on PATH (Decision 9); on Debian that is /usr/bin/python3.
export PATH=/usr/bin:$PATH
echo "== first run: every task runs"
"$ALOFT" run examples/diabetes/workflow.yaml "${args[@]}"
echo
echo "== second run: same inputs, every node comes from the cache"
"$ALOFT" run examples/diabetes/workflow.yaml "${args[@]}" --quiet
echo
echo "== list of executions"
"$ALOFT" executions list --limit 5

# The control plane on this machine: register the launch plan, serve the
# bucket with aloft dev (trigger + advance + registrar, as the Lambda
# functions run them), and drop a dataset where the launch plan's trigger
# looks: the drop starts a run (served from the cache: the same bytes ran
# above).
echo
echo "== the control plane: aloft register + aloft dev + a dropped dataset"
"$ALOFT" register examples/diabetes/workflow.yaml --version demo --activate
log=.aloft/demo/dev.log
mkdir -p .aloft/demo # register made the drop folder, .aloft/bucket/incoming/diabetes/
# aloft dev starts runs for drops made while it was down: clear earlier
# demos' drops so that this one starts exactly one.
rm -f .aloft/bucket/incoming/diabetes/pima-*.csv
"$ALOFT" dev --sweep 1s 2>"$log" &
dev=$!
trap 'kill $dev 2>/dev/null || true' EXIT
until grep -q serving "$log"; do sleep 0.1; done
src=${data:-$LOCAL}
drop=.aloft/bucket/incoming/diabetes/pima-$(date +%Y%m%d%H%M%S).csv
echo "   cp $src $drop"
cp "$src" "$drop"
for _ in $(seq 600); do
  grep -q 'execution ended' "$log" && break
  sleep 0.1
done
kill $dev; wait $dev 2>/dev/null || true
trap - EXIT
grep -E 'trigger|execution (started|ended)' "$log" | sed 's/^/   /'
started=$(grep -c 'msg="execution started"' "$log" || true)
if [ "$started" != 1 ]; then
  echo "the drop started $started runs, want 1" >&2
  exit 1
fi
"$ALOFT" executions list --limit 3
