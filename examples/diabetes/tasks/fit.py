#!/usr/bin/env python3
"""Fit an XGBoost classifier and save it with joblib.

usage: fit.py X Y HYPERPARAMS_JSON MODEL

X and Y are the CSV files written by split.py. HYPERPARAMS_JSON is a JSON
object given as the argument itself (e.g. '{"max_depth": 4}'), or the path of
a file holding one; its keys override the defaults below. MODEL is where the
joblib dump of the fitted XGBClassifier goes.

Exit status: 0 on success, 1 on bad input files, 2 on bad arguments.
"""
import json
import os
import sys

USAGE = "usage: fit.py X Y HYPERPARAMS_JSON MODEL"

DEFAULTS = {
    "n_jobs": 1,
    "max_depth": 4,
    "n_estimators": 100,
    "booster": "gbtree",
    "objective": "binary:logistic",
    "learning_rate": 0.1,
}


def die(code, msg):
    print("fit.py: " + msg, file=sys.stderr)
    sys.exit(code)


def parse_hyperparams(arg):
    try:
        params = json.loads(arg)
    except ValueError as e:
        if os.path.isfile(arg):
            try:
                with open(arg, encoding="utf-8") as f:
                    params = json.load(f)
            except (OSError, ValueError) as e2:
                die(2, "HYPERPARAMS_JSON file %s: %s" % (arg, e2))
        else:
            die(2, "HYPERPARAMS_JSON is not valid JSON (%s): %r\n%s" % (e, arg, USAGE))
    if params is None:
        params = {}
    if not isinstance(params, dict):
        die(2, "HYPERPARAMS_JSON must be a JSON object, got %s: %r"
            % (type(params).__name__, arg))
    return params


def read_csv(pd, path):
    try:
        frame = pd.read_csv(path, float_precision="round_trip")
    except (OSError, ValueError) as e:
        die(1, "%s: cannot read CSV: %s" % (path, e))
    if len(frame) == 0:
        die(1, "%s: no rows" % path)
    return frame


def main(argv):
    if len(argv) != 5:
        die(2, "expected 4 arguments, got %d\n%s" % (len(argv) - 1, USAGE))
    x_path, y_path, hyper_arg, model_path = argv[1:]
    params = dict(DEFAULTS)
    params.update(parse_hyperparams(hyper_arg))

    import joblib
    import pandas as pd
    from xgboost import XGBClassifier

    x = read_csv(pd, x_path)
    y = read_csv(pd, y_path)
    if y.shape[1] != 1:
        die(1, "%s: expected one column, found %d" % (y_path, y.shape[1]))
    if len(x) != len(y):
        die(1, "%s has %d rows but %s has %d" % (x_path, len(x), y_path, len(y)))

    try:
        model = XGBClassifier(**params)
        model.fit(x, y.iloc[:, 0])
    except (TypeError, ValueError) as e:
        die(1, "fitting failed: %s" % e)

    parent = os.path.dirname(model_path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    joblib.dump(model, model_path)
    print("fit: XGBClassifier on %d rows x %d features, %s -> %s"
          % (len(x), x.shape[1], json.dumps(params, sort_keys=True), model_path))


if __name__ == "__main__":
    main(sys.argv)
