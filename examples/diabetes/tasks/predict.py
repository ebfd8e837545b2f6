#!/usr/bin/env python3
"""Predict classes with a model saved by fit.py.

usage: predict.py X MODEL PREDICTIONS

X is a feature CSV written by split.py, MODEL a joblib dump from fit.py.
PREDICTIONS gets a one-column CSV (header `prediction`) with one 0/1 class
per row of X, in the same order.

Exit status: 0 on success, 1 on bad input files, 2 on bad arguments.
"""
import os
import sys

USAGE = "usage: predict.py X MODEL PREDICTIONS"


def die(code, msg):
    print("predict.py: " + msg, file=sys.stderr)
    sys.exit(code)


def main(argv):
    if len(argv) != 4:
        die(2, "expected 3 arguments, got %d\n%s" % (len(argv) - 1, USAGE))
    x_path, model_path, out_path = argv[1:]

    import joblib
    import pandas as pd

    try:
        x = pd.read_csv(x_path, float_precision="round_trip")
    except (OSError, ValueError) as e:
        die(1, "%s: cannot read CSV: %s" % (x_path, e))
    try:
        model = joblib.load(model_path)
    except Exception as e:  # joblib/pickle raise many kinds of error
        die(1, "%s: cannot load a joblib model: %s: %s" % (model_path, type(e).__name__, e))
    try:
        predictions = model.predict(x)
    except (TypeError, ValueError) as e:
        die(1, "prediction failed for %s: %s" % (x_path, e))

    parent = os.path.dirname(out_path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    pd.DataFrame({"prediction": predictions}).to_csv(out_path, index=False)
    print("predict: %d rows, %d predicted positive -> %s"
          % (len(predictions), int((predictions == 1).sum()), out_path))


if __name__ == "__main__":
    main(sys.argv)
