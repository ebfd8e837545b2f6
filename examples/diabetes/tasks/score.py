#!/usr/bin/env python3
"""Score predictions against the true classes.

usage: score.py PREDICTIONS Y ACCURACY

PREDICTIONS is the CSV from predict.py, Y the one-column CSV of true classes
from split.py (same rows, same order). ACCURACY gets the accuracy as plain
text, the Python repr of the float (e.g. 0.7598425196850394), no newline.

Exit status: 0 on success, 1 on bad input files, 2 on bad arguments.
"""
import os
import sys

USAGE = "usage: score.py PREDICTIONS Y ACCURACY"


def die(code, msg):
    print("score.py: " + msg, file=sys.stderr)
    sys.exit(code)


def read_column(pd, path):
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError) as e:
        die(1, "%s: cannot read CSV: %s" % (path, e))
    if frame.shape[1] != 1:
        die(1, "%s: expected one column, found %d" % (path, frame.shape[1]))
    if len(frame) == 0:
        die(1, "%s: no rows" % path)
    return frame.iloc[:, 0]


def main(argv):
    if len(argv) != 4:
        die(2, "expected 3 arguments, got %d\n%s" % (len(argv) - 1, USAGE))
    pred_path, y_path, out_path = argv[1:]

    import pandas as pd
    from sklearn.metrics import accuracy_score

    predictions = read_column(pd, pred_path)
    y = read_column(pd, y_path)
    if len(predictions) != len(y):
        die(1, "%s has %d rows but %s has %d"
            % (pred_path, len(predictions), y_path, len(y)))
    accuracy = float(accuracy_score(y, predictions))

    parent = os.path.dirname(out_path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    with open(out_path, "w", encoding="ascii") as f:
        f.write(repr(accuracy))
    print("accuracy: %.4f" % accuracy)


if __name__ == "__main__":
    main(sys.argv)
