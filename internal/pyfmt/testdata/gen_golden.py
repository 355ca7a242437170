#!/usr/bin/env python3
"""Regenerate the golden outputs the pyfmt tests read.

Usage (from internal/pyfmt): python3 testdata/gen_golden.py

The tests never run Python; this script documents where the vectors come
from. Outputs:
  floats.txt  one float per line: IEEE bits (hex), repr(x), f"{x:.2f}"
  csv.json    rows and the exact bytes csv.writer (default dialect) writes
"""
import csv
import io
import json
import math
import os
import platform
import random
import struct

here = os.path.dirname(os.path.abspath(__file__))


def bits(x):
    return "%016x" % struct.unpack("<Q", struct.pack("<d", x))[0]


def frombits(b):
    return struct.unpack("<d", struct.pack("<Q", b))[0]


def floats():
    r = random.Random(1)
    xs = [0.0, -0.0, math.inf, -math.inf, math.nan, 5e-324, -5e-324, 2.2250738585072014e-308,
          1.7976931348623157e308, -1.7976931348623157e308, 0.1, 0.2, 0.3, 0.1 + 0.2, 1 / 3, 2 / 3,
          1e16, 1e-5, 1e-4, 1e15, 1.5e16, 123456789012345678.0, 9999999999999998.0,
          9999999999999999.0, 0.0001, 0.00001, 0.00009999999999999999, 1e22, 1e23, 5e-5,
          2.675, 1.005, 0.125, 0.375, 0.005, 0.015, 0.025, -0.005, -0.001, 0.995, 0.994999,
          2.0**53, 2.0**53 + 2, 2.0**63, 2.0**64, 2.0**-1074 * 3, 1e300, 1e-300, 20.0, 19.999999999999996,
          100.0, 1234.5, 0.5, 1.5, 2.5, -2.5, 3.14159, math.pi, math.e, 1e100, 1.2345678901234567e-7]
    xs += [float(i) for i in range(-100, 101)]
    xs += [10.0 ** k for k in range(-325, 309)]
    xs += [-(10.0 ** k) for k in range(-20, 20)]
    for k in range(-20, 25):
        p = 10.0 ** k
        xs += [math.nextafter(p, 0), math.nextafter(p, math.inf)]
    xs += [2.0 ** k for k in range(-1074, 1024, 7)]
    xs += [k / 1000 for k in range(0, 20000, 5)]  # .xx5 ties for .2f
    xs += [k / 1000 + 1000 for k in range(5, 3000, 10)]
    xs += [frombits(r.getrandbits(64)) for _ in range(800)]
    xs += [frombits(r.getrandbits(64) & ~(0x600 << 52)) for _ in range(3000)]  # |x| < 2^-511: short .2f
    xs += [r.random() for _ in range(2000)]
    xs += [r.gauss(20.0, 2.0) for _ in range(2000)]
    xs += [r.uniform(-1e6, 1e6) for _ in range(1000)]
    xs += [round(r.uniform(-100, 100), r.randint(0, 6)) for _ in range(1000)]
    xs += [float(r.getrandbits(r.randint(1, 70))) for _ in range(500)]
    return xs


def csv_rows():
    fields = ["", " ", " a", "a ", "a,b", 'a"b', '"', '""', "a\nb", "a\rb", "a\r\nb", "\t", "a;b",
              "x'y", "ünïcode", "€", "1.5", "-0.0", "nan", "#", "\\", "a\\b", ",", "\n", "\r",
              "  leading", "trailing  ", "comma,and\"quote", "line\nand,comma"]
    rows = [[f] for f in fields]
    rows += [[], [""], ["", ""], ["", "", ""], ["a", ""], ["", "a"], [" ", ""]]
    rows += [["time", "node", "temperature"], ["0.0", "sensor1", "20.54"]]
    r = random.Random(2)
    for _ in range(300):
        rows.append([r.choice(fields) for _ in range(r.randint(1, 6))])
    out = []
    for row in rows:
        buf = io.StringIO(newline="")
        csv.writer(buf).writerow(row)
        out.append({"fields": row, "out": buf.getvalue()})
    return out


def main():
    with open(os.path.join(here, "floats.txt"), "w") as f:
        f.write(f"# CPython {platform.python_version()}: bits repr(x) f'{{x:.2f}}'\n")
        seen = set()
        for x in floats():
            b = bits(x)
            if b in seen:
                continue
            seen.add(b)
            f.write(f"{b} {x!r} {x:.2f}\n")
    with open(os.path.join(here, "csv.json"), "w") as f:
        json.dump({"python": platform.python_version(), "rows": csv_rows()}, f, ensure_ascii=False, indent=0)
        f.write("\n")
    print("wrote floats.txt csv.json")


if __name__ == "__main__":
    main()
