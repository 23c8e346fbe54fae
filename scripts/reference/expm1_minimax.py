"""The coefficients c2 … c6 of the kernels' exponential (Sources/CKernels/Logit.c, EXPM1_C2 …).

e^r − 1 = r + r²·P(r) on |r| ≤ ln2/32, with P the degree-4 polynomial that minimises
max |r²·((e^r − 1 − r)/r² − P(r))|, the absolute error of e^r. Found by a Remez exchange in
40-digit arithmetic (mpmath), rounded to double; the script prints the coefficients as C hex
literals, the error of the rounded polynomial, and whether Logit.c holds the same values.

    python3 -m pip install mpmath
    python3 scripts/reference/expm1_minimax.py
"""

import pathlib
import re

import mpmath as mp

mp.mp.dps = 40
H = mp.log(2) / 32
DEGREE = 4


def g(r):
    return (mp.expm1(r) - r) / r**2 if r != 0 else mp.mpf(1) / 2


def error(c, r):
    return r**2 * (g(r) - sum(ck * r**k for k, ck in enumerate(c)))


def remez():
    n = DEGREE + 2
    points = [H * mp.cos(mp.pi * (n - 1 - i) / (n - 1)) for i in range(n)]
    for _ in range(40):
        a = mp.matrix(n, n)
        b = mp.matrix(n, 1)
        for i, r in enumerate(points):
            for k in range(DEGREE + 1):
                a[i, k] = r ** (k + 2)
            a[i, DEGREE + 1] = (-1) ** i
            b[i] = r**2 * g(r)
        solution = mp.lu_solve(a, b)
        c = [solution[k] for k in range(DEGREE + 1)]
        # The new reference points: the extremum of |error| in each interval where its sign holds.
        grid = [-H + 2 * H * i / 4000 for i in range(4001)]
        values = [error(c, r) for r in grid]
        extrema, best = [], 0
        for i in range(1, len(grid)):
            if mp.sign(values[i]) != mp.sign(values[best]) and values[i] != 0:
                extrema.append(grid[best])
                best = i
            elif abs(values[i]) > abs(values[best]):
                best = i
        extrema.append(grid[best])
        if len(extrema) != n:
            break
        points = extrema
    return c, solution[DEGREE + 1]


def main():
    c, levelled = remez()
    doubles = [float(ck) for ck in c]
    worst = mp.mpf(0)
    for i in range(20001):
        r = -H + 2 * H * i / 20000
        p = mp.mpf(0)
        for ck in reversed(doubles):
            p = p * r + mp.mpf(ck)
        worst = max(worst, abs(mp.expm1(r) - (r + r**2 * p)) / mp.exp(r))
    print(f"levelled error {mp.nstr(levelled, 5)}; relative error of e^r with double coefficients {mp.nstr(worst, 5)}")
    source = (pathlib.Path(__file__).resolve().parents[2] / "Sources/CKernels/Logit.c").read_text()
    agree = True
    for k, value in enumerate(doubles, start=2):
        match = re.search(rf"#define EXPM1_C{k} \(([^)]+)\)", source)
        held = float.fromhex(match.group(1)) if match else None
        agree &= held == value
        print(f"#define EXPM1_C{k} ({value.hex()})" + ("" if held == value else f"   <- Logit.c holds {match.group(1) if match else 'nothing'}"))
    print("Logit.c holds these coefficients" if agree else "Logit.c differs")
    raise SystemExit(0 if agree else 1)


if __name__ == "__main__":
    main()
