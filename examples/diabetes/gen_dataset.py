#!/usr/bin/env python3
"""Write a synthetic stand-in for the Pima Indians diabetes dataset.

usage: gen_dataset.py OUT [N=768] [SEED=7]

Same nine columns and format as the public file (headerless CSV: #preg,
pgc_2h, diastolic_bp, tricep_skin_fold_mm, serum_insulin_2h, bmi,
diabetes_pedigree, age, class), plausible ranges, integer columns as
integers, bmi with 1 decimal and diabetes_pedigree with 3. The class depends
mostly on pgc_2h (2-hour glucose) and bmi, so a model has something to learn.

Standard library only, so `make demo` works without numpy when the public
dataset cannot be downloaded. The output is a function of N and SEED alone:
only random.Random.random() and + - * are used (no log/exp/gauss), so the bytes
are the same on every platform and Python version. OUT "-" writes to stdout.
"""
import random
import sys

USAGE = "usage: gen_dataset.py OUT [N=768] [SEED=7]"


def normal(rng, mean, sd):
    # Irwin-Hall: the sum of 12 uniforms minus 6 is close to N(0, 1).
    return mean + sd * (sum(rng.random() for _ in range(12)) - 6.0)


def clamp(v, lo, hi):
    return lo if v < lo else hi if v > hi else v


def row(rng):
    age = int(clamp(21 + 45 * rng.random() * rng.random() + normal(rng, 0, 4), 21, 81))
    preg = int(clamp(normal(rng, 1.5 + (age - 21) * 0.2, 2.8), 0, 17))
    pedigree = clamp(0.08 + 0.55 * rng.random() * rng.random() * 3 + normal(rng, 0, 0.05), 0.078, 2.42)
    bmi = clamp(normal(rng, 32.0, 7.0), 18.2, 67.1)
    glucose = clamp(normal(rng, 121.0, 30.0), 44, 199)
    # The class: a noisy threshold on a weighted sum, glucose and bmi first.
    score = (0.035 * (glucose - 121) + 0.09 * (bmi - 32) + 0.9 * (pedigree - 0.47)
             + 0.025 * (age - 33) + normal(rng, 0, 1.0))
    label = 1 if score > 0.55 else 0
    diastolic = int(clamp(normal(rng, 70 + 0.15 * (bmi - 32), 12), 24, 122))
    tricep = int(clamp(normal(rng, 12 + 0.55 * bmi, 9), 7, 99))
    insulin = int(clamp(normal(rng, 30 + 0.9 * glucose, 80), 14, 846))
    # Like the real file, some measurements are missing and recorded as 0.
    u = rng.random()
    if u < 0.30:
        insulin = 0
        if u < 0.20:
            tricep = 0
    if rng.random() < 0.045:
        diastolic = 0
    if rng.random() < 0.006:
        glucose = 0
    if rng.random() < 0.014:
        bmi = 0.0
    return "%d,%d,%d,%d,%d,%.1f,%.3f,%d,%d" % (
        preg, int(round(glucose)), diastolic, tricep, insulin, bmi, pedigree, age, label)


def main(argv):
    if not 2 <= len(argv) <= 4:
        print("gen_dataset.py: expected 1 to 3 arguments, got %d\n%s"
              % (len(argv) - 1, USAGE), file=sys.stderr)
        sys.exit(2)
    try:
        n = int(argv[2]) if len(argv) > 2 else 768
        seed = int(argv[3]) if len(argv) > 3 else 7
    except ValueError as e:
        print("gen_dataset.py: %s\n%s" % (e, USAGE), file=sys.stderr)
        sys.exit(2)
    if n < 2:
        print("gen_dataset.py: N must be at least 2, got %d" % n, file=sys.stderr)
        sys.exit(2)

    rng = random.Random(seed)
    lines = [row(rng) for _ in range(n)]
    text = "\n".join(lines) + "\n"
    if argv[1] == "-":
        sys.stdout.write(text)
    else:
        with open(argv[1], "w", encoding="ascii", newline="\n") as f:
            f.write(text)
    positives = sum(1 for line in lines if line.endswith(",1"))
    print("gen_dataset: %d rows (%d with class 1), seed %d -> %s"
          % (n, positives, seed, argv[1]), file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv)
