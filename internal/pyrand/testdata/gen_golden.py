#!/usr/bin/env python3
"""Regenerate the golden vectors the pyrand tests read.

Usage (from internal/pyrand, on x86_64 Linux with glibc >= 2.28 and a CPU
with FMA and AVX2): python3 testdata/gen_golden.py

The tests never run Python; this script documents where the vectors come
from. It runs itself twice: once as is, where glibc's ifunc resolver picks
the FMA builds of log/sin/cos (pyrand.GlibcFMA), and once with
GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2,-FMA, which makes it pick the baseline
builds (pyrand.GlibcNoFMA). Floats are stored as the hex of their IEEE bits.

Outputs:
  streams_fma.json   per seed: derived seed, getrandbits(32), random(),
                     gauss(20.0, 2.0) and an interleaved stream, FMA libm
  streams_nofma.json per seed: gauss(20.0, 2.0) and the interleaved stream,
                     baseline libm
  libm_vectors.txt   log/sin/cos on edge cases and random inputs, both builds
  libm_digests.txt   SHA-256 over 2^20 outputs of each function and of gauss
"""
import hashlib
import json
import math
import os
import platform
import random
import struct
import subprocess
import sys

IDS = ["sensor1", "sensor2", "sensor3", "sensor4", "sensor5"]
RUN_SEEDS = [42, 123, 0, 7]
RAW_SEEDS = [0, 1, 2**32 - 1, 2**32, 2**64 - 1]
N = 1000
DIGEST_N = 1 << 20
DIGEST_SEED = 20240229
TWOPI = 2.0 * math.pi


def hx(v):
    return "%016x" % struct.unpack("<Q", struct.pack("<d", v))[0]


def fromhx(s):
    return struct.unpack("<d", struct.pack("<Q", int(s, 16)))[0]


def derived_seed(node_id, seed):
    return int.from_bytes(hashlib.sha256(f"{node_id}_{seed}".encode()).digest()[:8], "big")


def cases():
    for node in IDS:
        for s in RUN_SEEDS:
            yield {"name": f"{node}_{s}", "id": node, "run_seed": s, "seed": derived_seed(node, s)}
    for s in RAW_SEEDS:
        yield {"name": f"raw_{s}", "seed": s}


def mixed(r):
    # Interleave random() with gauss() so the cached second variate is
    # exercised across random() calls, and vary mu/sigma.
    out = []
    for i in range(300):
        if i % 5 == 1:
            out.append(hx(r.random()))
        elif i % 7 == 3:
            out.append(hx(r.gauss(-3.5, 0.25)))
        else:
            out.append(hx(r.gauss(20.0, 2.0)))
    return out


def streams(full):
    out = []
    for c in cases():
        c = dict(c)
        seed = c["seed"]
        c["seed"] = str(seed)  # JSON numbers are doubles in many readers
        if full:
            r = random.Random(seed)
            c["uint32"] = [r.getrandbits(32) for _ in range(32)]
            r = random.Random(seed)
            c["random"] = [hx(r.random()) for _ in range(N)]
        r = random.Random(seed)
        c["gauss"] = [hx(r.gauss(20.0, 2.0)) for _ in range(N)]
        c["mixed"] = mixed(random.Random(seed))
        out.append(c)
    return out


def nxt(x, n):
    """x moved n ulps (n may be negative)."""
    for _ in range(abs(n)):
        x = math.nextafter(x, math.inf if n > 0 else -math.inf)
    return x


def edge_inputs():
    """Inputs for log, sin and cos: region boundaries and random samples."""
    r = random.Random(7)
    logs = [1.0, 0.5, 2.0, math.e, 1e-300, 5e-324, 2.2250738585072014e-308, 1e-310, 1.7976931348623157e308]
    for b in (1 - 2**-4, 1 + float.fromhex("0x1.09p-4"), 1.0, float.fromhex("0x1.6p-1"), 2**-53):
        logs += [nxt(b, d) for d in range(-3, 4)]
    logs += [1.0 - r.random() for _ in range(1000)]
    logs += [1.0 - r.random() / 16 for _ in range(500)]  # the table-free path
    logs += [math.ldexp(1 + r.random(), r.randint(-1074, 1023)) for _ in range(500)]
    logs = [x for x in logs if x > 0 and math.isfinite(x)]

    trig = [0.0, -0.0, 5e-324, 1e-300, 2**-27, 2**-26, 0.126, 0.855469, 2.426265, math.pi, TWOPI]
    for b in (2**-27, 2**-26, 0.126, float.fromhex("0x1.b6p-1"), float.fromhex("0x1.368fdp+1"), math.pi / 2, math.pi, 3 * math.pi / 2, TWOPI, float.fromhex("0x1.921fbp+26")):
        trig += [nxt(b, d) for d in range(-3, 4)]
    trig += [r.random() * TWOPI for _ in range(1500)]
    trig += [r.uniform(-10, 10) for _ in range(300)]
    trig += [r.uniform(-1e8, 1e8) for _ in range(300)]
    trig += [r.random() * 0.126 for _ in range(300)]
    trig += [-x for x in trig[:200]]
    # Sin and Cos port glibc up to |x| < 0x1.921fbp+26 (105414336);
    # glibc reduces larger arguments with __branred, which is not ported.
    trig = [x for x in trig if abs(x) < float.fromhex("0x1.921fbp+26")]
    return logs, trig


def libm_rows():
    logs, trig = edge_inputs()
    rows = [("log", x, math.log(x)) for x in logs]
    rows += [("sin", x, math.sin(x)) for x in trig]
    rows += [("cos", x, math.cos(x)) for x in trig]
    return [(f, hx(x), hx(y)) for f, x, y in rows]


def digests():
    r = random.Random(DIGEST_SEED)
    us = [r.random() for _ in range(DIGEST_N)]
    out = {}
    for name, fn in (("log", lambda u: math.log(1.0 - u)),
                     ("sin", lambda u: math.sin(u * TWOPI)),
                     ("cos", lambda u: math.cos(u * TWOPI))):
        h = hashlib.sha256()
        for u in us:
            h.update(struct.pack("<d", fn(u)))
        out[name] = h.hexdigest()
    r = random.Random(DIGEST_SEED)
    h = hashlib.sha256()
    for _ in range(DIGEST_N):
        h.update(struct.pack("<d", r.gauss(20.0, 2.0)))
    out["gauss"] = h.hexdigest()
    return out


def child(variant):
    # Self-check: a log input on which the two builds differ.
    probe = hx(math.log(float.fromhex("0x1.4351be899a53ep-1")))
    got = {"bfdd6b774aaeb93d": "fma", "bfdd6b774aaeb93c": "nofma"}.get(probe)
    if got != variant:
        sys.exit(f"expected the {variant} libm build, probe says {got}")
    json.dump({"streams": streams(variant == "fma"), "libm": libm_rows(), "digests": digests()}, sys.stdout)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        return child(sys.argv[2])
    here = os.path.dirname(os.path.abspath(__file__))
    res = {}
    for variant, tun in (("fma", None), ("nofma", "glibc.cpu.hwcaps=-AVX2,-FMA")):
        env = dict(os.environ)
        env.pop("GLIBC_TUNABLES", None)
        if tun:
            env["GLIBC_TUNABLES"] = tun
        p = subprocess.run([sys.executable, __file__, "--child", variant], env=env, check=True, capture_output=True)
        res[variant] = json.loads(p.stdout)

    meta = {
        "python": platform.python_version(),
        "libc": " ".join(platform.libc_ver()),
        "machine": platform.machine(),
    }
    for variant in ("fma", "nofma"):
        with open(os.path.join(here, f"streams_{variant}.json"), "w") as f:
            json.dump({"meta": meta, "cases": res[variant]["streams"]}, f, separators=(",", ":"))
            f.write("\n")

    fma, nofma = res["fma"]["libm"], res["nofma"]["libm"]
    assert [r[:2] for r in fma] == [r[:2] for r in nofma]
    with open(os.path.join(here, "libm_vectors.txt"), "w") as f:
        f.write("# glibc log/sin/cos on edge cases and random inputs, via CPython %s, %s.\n" % (meta["python"], meta["libc"]))
        f.write("# function input-bits GlibcFMA-result-bits GlibcNoFMA-result-bits\n")
        for a, b in zip(fma, nofma):
            f.write(f"{a[0]} {a[1]} {a[2]} {b[2]}\n")

    with open(os.path.join(here, "libm_digests.txt"), "w") as f:
        f.write("# SHA-256 over the little-endian float64 bits of 2^20 outputs; u = random.Random(%d).random().\n" % DIGEST_SEED)
        f.write("# log(1-u), sin(u*TWOPI), cos(u*TWOPI); gauss = 2^20 x gauss(20.0, 2.0) from random.Random(%d).\n" % DIGEST_SEED)
        f.write("# libm function sha256\n")
        for variant in ("fma", "nofma"):
            for name, d in res[variant]["digests"].items():
                f.write(f"{variant} {name} {d}\n")
    print("wrote streams_fma.json streams_nofma.json libm_vectors.txt libm_digests.txt")


if __name__ == "__main__":
    main()
