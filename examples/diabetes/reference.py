#!/usr/bin/env python3
"""The diabetes pipeline in one process, with no files in between.

usage: reference.py DATASET [SEED=7] [TEST_SPLIT_RATIO=0.33]

Does what tasks/split.py, fit.py, predict.py and score.py do, with the same
libraries and parameters, and prints only the accuracy (the repr of the float)
on stdout. Tests compare the workflow's `accuracy` output with this.
"""
import sys

COLUMNS = ["#preg", "pgc_2h", "diastolic_bp", "tricep_skin_fold_mm",
           "serum_insulin_2h", "bmi", "diabetes_pedigree", "age", "class"]
USAGE = "usage: reference.py DATASET [SEED=7] [TEST_SPLIT_RATIO=0.33]"


def main(argv):
    if not 2 <= len(argv) <= 4:
        print("reference.py: expected 1 to 3 arguments, got %d\n%s"
              % (len(argv) - 1, USAGE), file=sys.stderr)
        sys.exit(2)
    try:
        seed = int(argv[2]) if len(argv) > 2 else 7
        ratio = float(argv[3]) if len(argv) > 3 else 0.33
    except ValueError as e:
        print("reference.py: %s\n%s" % (e, USAGE), file=sys.stderr)
        sys.exit(2)

    import pandas as pd
    from sklearn.metrics import accuracy_score
    from sklearn.model_selection import train_test_split
    from xgboost import XGBClassifier

    data = pd.read_csv(argv[1], header=None, names=COLUMNS)
    x = data[COLUMNS[:8]]
    y = data[COLUMNS[8]]
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=ratio, random_state=seed)
    model = XGBClassifier(n_jobs=1, max_depth=4, n_estimators=100, booster="gbtree",
                          objective="binary:logistic", learning_rate=0.1)
    model.fit(x_train, y_train)
    predictions = model.predict(x_test)
    print(repr(float(accuracy_score(y_test, predictions))))


if __name__ == "__main__":
    main(sys.argv)
