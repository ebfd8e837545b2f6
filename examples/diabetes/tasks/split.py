#!/usr/bin/env python3
"""Split the Pima Indians diabetes CSV into train and test sets.

usage: split.py DATASET SEED TEST_SPLIT_RATIO X_TRAIN X_TEST Y_TRAIN Y_TEST

DATASET is a headerless CSV with nine numeric columns (eight features, then
the 0/1 class). The four outputs are CSV files with a header row and no index:
X_* hold the eight feature columns, Y_* the single column `class`. Floats are
written in shortest round-trip form, so reading them back with
float_precision="round_trip" gives the same values and dtypes.

Exit status: 0 on success, 1 on a bad dataset, 2 on bad arguments.
"""
import csv
import math
import os
import sys

COLUMNS = ["#preg", "pgc_2h", "diastolic_bp", "tricep_skin_fold_mm",
           "serum_insulin_2h", "bmi", "diabetes_pedigree", "age", "class"]
FEATURES = COLUMNS[:8]
LABEL = COLUMNS[8]

USAGE = ("usage: split.py DATASET SEED TEST_SPLIT_RATIO "
         "X_TRAIN X_TEST Y_TRAIN Y_TEST")


def die(code, msg):
    print("split.py: " + msg, file=sys.stderr)
    sys.exit(code)


def check_dataset(path):
    """Check every row before pandas sees the file.

    pandas quietly pads short rows with NaN and turns a consistent extra
    column into an index, so the shape is checked here, row by row.
    Returns the number of data rows.
    """
    rows = 0
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            for lineno, row in enumerate(csv.reader(f), start=1):
                if not row or all(not cell.strip() for cell in row):
                    continue  # pandas skips blank lines too
                if len(row) != len(COLUMNS):
                    die(1, "%s: row %d: expected %d columns, found %d"
                        % (path, lineno, len(COLUMNS), len(row)))
                for name, cell in zip(COLUMNS, row):
                    try:
                        value = float(cell)
                    except ValueError:
                        hint = " (the file must have no header row)" if lineno == 1 else ""
                        die(1, "%s: row %d: column %s is not a number: %r%s"
                            % (path, lineno, name, cell, hint))
                    if not math.isfinite(value):
                        die(1, "%s: row %d: column %s is not a finite number: %r"
                            % (path, lineno, name, cell))
                if float(row[-1]) not in (0.0, 1.0):
                    die(1, "%s: row %d: column class must be 0 or 1, found %r"
                        % (path, lineno, row[-1]))
                rows += 1
    except OSError as e:
        die(1, "%s: cannot read: %s" % (path, e.strerror or e))
    except UnicodeDecodeError as e:
        die(1, "%s: not a UTF-8 text file: %s" % (path, e))
    except csv.Error as e:
        die(1, "%s: not a valid CSV file: %s" % (path, e))
    return rows


def write_csv(frame, path):
    parent = os.path.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    frame.to_csv(path, index=False)


def main(argv):
    if len(argv) != 8:
        die(2, "expected 7 arguments, got %d\n%s" % (len(argv) - 1, USAGE))
    dataset, seed_s, ratio_s, x_train_p, x_test_p, y_train_p, y_test_p = argv[1:]
    try:
        seed = int(seed_s)
    except ValueError:
        die(2, "SEED must be an integer, got %r\n%s" % (seed_s, USAGE))
    try:
        ratio = float(ratio_s)
    except ValueError:
        die(2, "TEST_SPLIT_RATIO must be a number, got %r\n%s" % (ratio_s, USAGE))
    if not 0.0 < ratio < 1.0:
        die(2, "TEST_SPLIT_RATIO must be between 0 and 1 (exclusive), got %r" % ratio_s)

    rows = check_dataset(dataset)
    if rows < 2:
        die(1, "%s: need at least 2 data rows, found %d" % (dataset, rows))

    import pandas as pd
    from sklearn.model_selection import train_test_split

    data = pd.read_csv(dataset, header=None, names=COLUMNS)
    x = data[FEATURES]
    y = data[LABEL]
    try:
        x_train, x_test, y_train, y_test = train_test_split(
            x, y, test_size=ratio, random_state=seed)
    except ValueError as e:
        die(1, "%s: cannot split %d rows with TEST_SPLIT_RATIO %r: %s"
            % (dataset, rows, ratio, e))

    write_csv(x_train, x_train_p)
    write_csv(x_test, x_test_p)
    write_csv(y_train.to_frame(), y_train_p)
    write_csv(y_test.to_frame(), y_test_p)
    print("split: %d rows -> %d train, %d test (seed %d, test ratio %s)"
          % (rows, len(x_train), len(x_test), seed, ratio_s))


if __name__ == "__main__":
    main(sys.argv)
