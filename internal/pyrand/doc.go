// Package pyrand reproduces CPython's random.Random bit for bit, so that the
// simulator's CSV output can match the upstream Python simulator's exactly.
//
// It covers what upstream uses: seeding from an unsigned 64-bit integer
// (New, Seed), the derivation of a node's seed from its id and the run seed
// (DerivedSeed, SeedFromString), the raw MT19937 output (Uint32), random()
// (Random) and gauss() with its cached second variate (Gauss).
//
// # Why a libm port
//
// Python's gauss calls math.log, math.sin and math.cos, which are the C
// library's. Go's math package rounds differently from glibc on a sizeable
// fraction of gauss's inputs (measured over 4 million: log 7.2%, sin 22.8%,
// cos 27.2% of results differ, always in the last bit; sqrt never differs,
// both being correctly rounded), and one ulp is enough to change a printed
// repr. So this package carries ports of glibc's log, sin and cos (see
// Libm). glibc on x86_64 has separate builds of these for CPUs with and
// without FMA that differ from each other on roughly 1 input in 10,000
// (log) to 1 in 1,500 (sin, cos); GlibcFMA, the default, matches current
// CPUs, and GlibcNoFMA matches the rest.
//
// The golden vectors in testdata were produced by CPython 3.11 on glibc
// 2.36 (x86_64) with testdata/gen_golden.py; the tests do not need Python.
// The glibc tables are extracted by testdata/gen_tables.py into tables.go.
//
// # Performance
//
// Nothing on the Uint32, Random or Gauss path allocates. The ports
// use math.FMA where glibc's FMA build fuses, which is a single instruction
// on amd64 with FMA, arm64, ppc64 and s390x, and a slow software routine
// elsewhere (such as 386).
package pyrand
