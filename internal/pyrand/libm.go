package pyrand

import "math"

// Libm names a compiled variant of the C math library whose log, sin and cos
// this package reproduces bit for bit.
//
// CPython's math.log, math.sin and math.cos are the platform libm's, and
// random.gauss uses them. Go's math package differs from glibc in the last
// bit for about 7% of gauss's log inputs and about 25% of its sin and cos
// inputs, which changes the repr of the printed variates. glibc on x86_64
// also ships several builds of each function and picks one per process from
// the CPU's features (an "ifunc"): the build compiled for FMA lets the C
// compiler fuse multiply-adds, so it rounds differently from the baseline
// build on a small fraction of inputs. Each Libm value follows one build.
//
// The ports follow glibc 2.28 and later (checked against the disassembly of
// Debian 12's glibc 2.36): log is Arm's optimized-routines algorithm and sin
// and cos are the IBM Accurate Mathematical Library without its slow paths.
type Libm uint8

const (
	// GlibcFMA reproduces glibc's x86_64 build for CPUs with FMA and AVX2
	// (Intel Haswell and later, AMD Zen and later): __ieee754_log_fma,
	// __sin_fma and __cos_fma. This is what CPython uses on practically
	// every current x86_64 Linux machine, this project's development
	// machines included, so it is the default.
	GlibcFMA Libm = iota

	// GlibcNoFMA reproduces glibc's baseline x86_64 build (the sse2 and avx
	// variants, which compute the same thing), chosen on CPUs without FMA or
	// AVX2, or when a process runs with
	// GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2,-FMA. It is also the plain
	// IEEE-double evaluation of glibc's C source with no fused operations.
	GlibcNoFMA
)

// String returns the Go name of l.
func (l Libm) String() string {
	switch l {
	case GlibcFMA:
		return "GlibcFMA"
	case GlibcNoFMA:
		return "GlibcNoFMA"
	default:
		return "Libm(invalid)"
	}
}

// A note on fusion, for everything below: the Go spec lets a compiler fuse
// x*y+z into one rounding (it does on arm64, ppc64, s390x, riscv64 and on
// amd64 with GOAMD64=v3), and only an explicit float64 conversion forbids
// it. So every product that feeds an addition is wrapped in float64(...)
// unless glibc's compiled code fuses it too, in which case we call math.FMA,
// which is exactly rounded on every platform.

// logEntry is one row of glibc's log tables ({invc, logc} or {chi, clo}).
type logEntry struct{ a, b float64 }

// Log returns the natural logarithm of x as glibc's log does.
// It is bit-exact for every input.
func (l Libm) Log(x float64) float64 {
	const (
		one   = 0x3ff0000000000000
		near0 = 0x3fee000000000000 // bits of 1 - 0x1p-4
		near1 = 0x3ff1090000000000 // bits of 1 + 0x1.09p-4
		off   = 0x3fe6000000000000
	)
	ix := math.Float64bits(x)
	if ix-near0 < near1-near0 {
		// Close to 1 a table-free polynomial in r = x-1 is more accurate.
		if ix == one {
			return 0
		}
		if l == GlibcFMA {
			return logNear1FMA(x)
		}
		return logNear1(x)
	}
	if top := uint32(ix >> 48); top-0x0010 >= 0x7ff0-0x0010 {
		switch {
		case ix<<1 == 0:
			return math.Inf(-1)
		case ix == 0x7ff0000000000000:
			return x
		case top&0x8000 != 0 || top&0x7ff0 == 0x7ff0:
			return math.NaN()
		}
		// Subnormal: scale into the normal range, undo it in the exponent.
		ix = math.Float64bits(x*0x1p52) - 52<<52
	}

	// x = 2^k z with z in [0x1.6p-1, 0x1.6p0) split into 128 subintervals;
	// log(x) = k ln2 + log(c) + log1p(z/c - 1) with c near the subinterval's
	// centre.
	tmp := ix - off
	i := (tmp >> (52 - 7)) % 128
	k := int64(tmp) >> 52 // #nosec G115 -- reinterpreting the float's bits, as fdlibm does
	z := math.Float64frombits(ix - tmp&(0xfff<<52))
	kd := float64(k)
	invc, logc := logTab[i].a, logTab[i].b
	if l == GlibcFMA {
		r := math.FMA(z, invc, -1.0)
		w := math.FMA(kd, logLn2hi, logc)
		hi := w + r
		lo := math.FMA(kd, logLn2lo, (w-hi)+r)
		r2 := float64(r * r)
		p := math.FMA(math.FMA(r, logA4, logA3), r2, math.FMA(r, logA2, logA1))
		return math.FMA(float64(r*r2), p, math.FMA(r2, logA0, lo)) + hi
	}
	r := float64(((z - logTab2[i].a) - logTab2[i].b) * invc)
	w := float64(kd*logLn2hi) + logc
	hi := w + r
	lo := ((w - hi) + r) + float64(kd*logLn2lo)
	r2 := float64(r * r)
	p := (logA1 + float64(r*logA2)) + float64(r2*(logA3+float64(r*logA4)))
	return ((lo + float64(r2*logA0)) + float64(float64(r*r2)*p)) + hi
}

// logNear1 is log's path for x near 1 in glibc's baseline build.
func logNear1(x float64) float64 {
	r := x - 1.0
	r2 := float64(r * r)
	r3 := float64(r * r2)
	p := ((logB7 + float64(r*logB8)) + float64(r2*logB9)) + float64(r3*logB10)
	p = ((logB4 + float64(r*logB5)) + float64(r2*logB6)) + float64(r3*p)
	p = ((logB1 + float64(r*logB2)) + float64(r2*logB3)) + float64(r3*p)
	y := float64(r3 * p)
	// Split r so that r*r*B0 (B0 = -0.5) is computed with extra precision.
	w := float64(r * 0x1p27)
	rhi := (r + w) - w
	rlo := r - rhi
	w = float64(float64(rhi*rhi) * logB0)
	hi := r + w
	lo := (r - hi) + w
	lo += float64(float64(logB0*rlo) * (rhi + r))
	y += lo
	return y + hi
}

// logNear1FMA is log's path for x near 1 in glibc's FMA build, with the
// multiply-adds GCC fused there.
func logNear1FMA(x float64) float64 {
	r := x - 1.0
	r2 := float64(r * r)
	r3 := float64(r * r2)
	p1 := math.FMA(r2, logB3, math.FMA(r, logB2, logB1))
	p2 := math.FMA(r2, logB6, math.FMA(r, logB5, logB4))
	p3 := math.FMA(r3, logB10, math.FMA(r2, logB9, math.FMA(r, logB8, logB7)))
	q := math.FMA(math.FMA(p3, r3, p2), r3, p1)
	// GCC fuses r+w and its -w too, but r*2^27 is exact, so fusing them
	// changes nothing.
	w := float64(r * 0x1p27)
	rhi := (r + w) - w
	rlo := r - rhi
	rhi2 := float64(rhi * rhi)
	hi := math.FMA(rhi2, logB0, r)
	lo := math.FMA(rhi2, logB0, r-hi)
	lo = math.FMA(float64(logB0*rlo), rhi+r, lo)
	return hi + math.FMA(q, r3, lo)
}

// Constants of glibc's sin and cos (sysdeps/ieee754/dbl-64/usncs.h).
const (
	big   = 0x1.8p45 // adding it rounds |x| to a multiple of 1/128
	hp0   = 0x1.921fb54442d18p+0
	hp1   = 0x1.1a62633145c07p-54 // hp0+hp1 = pi/2
	hpinv = 0x1.45f306dc9c883p-1  // 2/pi
	toint = 0x1.8p52              // adding it rounds to an integer
	mp1   = 0x1.921fb58p+0        // mp1+mp2+pp3+pp4 = pi/2 in pieces
	mp2   = -0x1.dde973cp-27
	pp3   = -0x1.cb3b398p-55
	pp4   = -0x1.d747f23e32ed7p-83

	s1 = -0x1.5555555555555p-3 // Taylor coefficients of sin for |x| < 0.126
	s2 = 0x1.1111111110ecep-7
	s3 = -0x1.a01a019db08b8p-13
	s4 = 0x1.71de27b9a7ed9p-19
	s5 = -0x1.addffc2fcdf59p-26

	sn3 = -0x1.5555555555515p-3 // sin and cos of the small remainder
	sn5 = 0x1.11110e829872fp-7
	cs2 = 0x1.0p-1
	cs4 = -0x1.5555555555535p-5
	cs6 = 0x1.6c16bedd9e239p-10
)

// Sin returns the sine of x as glibc's sin does. It is bit-exact for
// |x| < 0x1.921fbp+26 (105414336, far beyond random.gauss's [0, 2*pi)) and
// for NaN and infinities; beyond that glibc switches to a multi-precision
// range reduction (__branred) this package does not port, and Sin returns
// math.Sin(x).
func (l Libm) Sin(x float64) float64 {
	k := uint32(math.Float64bits(x)>>32) & 0x7fffffff
	switch {
	case k < 0x3e500000: // |x| < 2^-26: sin(x) rounds to x
		return x
	case k < 0x3feb6000: // |x| < 0.855469
		return l.doSin(x, 0)
	case k < 0x400368fd: // |x| < 2.426265: sin(x) = cos(pi/2 - |x|)
		return math.Copysign(l.doCos(hp0-math.Abs(x), hp1), x)
	case k < 0x419921fb: // |x| < 0x1.921fbp+26
		a, da, n := l.reduce(x)
		return l.doSinCos(a, da, n)
	case k < 0x7ff00000:
		return math.Sin(x)
	default:
		return math.NaN()
	}
}

// Cos returns the cosine of x as glibc's cos does, over the same domain
// as Sin.
func (l Libm) Cos(x float64) float64 {
	k := uint32(math.Float64bits(x)>>32) & 0x7fffffff
	switch {
	case k < 0x3e400000: // |x| < 2^-27: cos(x) rounds to 1
		return 1
	case k < 0x3feb6000:
		return l.doCos(x, 0)
	case k < 0x400368fd: // cos(x) = sin(pi/2 - |x|) with a double-double argument
		y := hp0 - math.Abs(x)
		a := y + hp1
		da := (y - a) + hp1
		return l.doSin(a, da)
	case k < 0x419921fb:
		a, da, n := l.reduce(x)
		return l.doSinCos(a, da, n+1)
	case k < 0x7ff00000:
		return math.Cos(x)
	default:
		return math.NaN()
	}
}

// doSinCos returns sin(a+da) rotated by n quarter turns.
func (l Libm) doSinCos(a, da float64, n uint32) float64 {
	var v float64
	if n&1 != 0 {
		v = l.doCos(a, da)
	} else {
		v = l.doSin(a, da)
	}
	if n&2 != 0 {
		return -v
	}
	return v
}

func (l Libm) doSin(x, dx float64) float64 {
	if l == GlibcFMA {
		return doSinFMA(x, dx)
	}
	return doSin(x, dx)
}

func (l Libm) doCos(x, dx float64) float64 {
	if l == GlibcFMA {
		return doCosFMA(x, dx)
	}
	return doCos(x, dx)
}

func (l Libm) reduce(x float64) (a, da float64, n uint32) {
	if l == GlibcFMA {
		return reduceFMA(x)
	}
	return reduce(x)
}

// tabIndex rounds |x| to a multiple of 1/128 by adding big, returning the
// rounded-off remainder and the __sincostab offset of the multiple.
func tabIndex(ax float64) (rem float64, k int) {
	u := big + ax
	return ax - (u - big), int(uint32(math.Float64bits(u)) << 2) // #nosec G115 -- the low word of the float's bits, as fdlibm reads it
}

// doSin returns sin(x+dx), |x| < 0.86, in glibc's baseline build.
func doSin(x, dx float64) float64 {
	if math.Abs(x) < 0.126 {
		xx := float64(x * x)
		p := float64(float64(float64(float64(float64(float64(float64(s5*xx)+s4)*xx)+s3)*xx)+s2)*xx) + s1
		return x + (float64((float64(p*x)-float64(0.5*dx))*xx) + dx)
	}
	xold := x
	if x <= 0 {
		dx = -dx
	}
	x, k := tabIndex(math.Abs(x))
	xx := float64(x * x)
	s := x + (dx + float64(float64(x*xx)*(sn3+float64(xx*sn5))))
	c := float64(x*dx) + float64(xx*(cs2+float64(xx*(cs4+float64(xx*cs6)))))
	sn, ssn, cs, ccs := sincosTab[k], sincosTab[k+1], sincosTab[k+2], sincosTab[k+3]
	cor := ((ssn + float64(s*ccs)) - float64(sn*c)) + float64(cs*s)
	return math.Copysign(sn+cor, xold)
}

// doCos returns cos(x+dx), |x| < 0.86, in glibc's baseline build.
func doCos(x, dx float64) float64 {
	if x < 0 {
		dx = -dx
	}
	x, k := tabIndex(math.Abs(x))
	x += dx
	xx := float64(x * x)
	s := x + float64(float64(x*xx)*(sn3+float64(xx*sn5)))
	c := float64(xx * (cs2 + float64(xx*(cs4+float64(xx*cs6)))))
	sn, ssn, cs, ccs := sincosTab[k], sincosTab[k+1], sincosTab[k+2], sincosTab[k+3]
	cor := ((ccs - float64(s*ssn)) - float64(cs*c)) - float64(sn*s)
	return cs + cor
}

// reduce returns a+da = x - n*pi/2 with |a| <= pi/4, in glibc's baseline
// build.
func reduce(x float64) (a, da float64, n uint32) {
	t := float64(x*hpinv) + toint
	xn := t - toint
	n = uint32(math.Float64bits(t)) & 3 // #nosec G115 -- the low word of the float's bits, as fdlibm reads it
	y := (x - float64(xn*mp1)) - float64(xn*mp2)
	t1 := float64(xn * pp3)
	t2 := y - t1
	db := (y - t2) - t1
	t1 = float64(xn * pp4)
	b := t2 - t1
	db += (t2 - b) - t1
	return b, db, n
}

// doSinFMA is doSin in glibc's FMA build.
func doSinFMA(x, dx float64) float64 {
	if math.Abs(x) < 0.126 {
		xx := float64(x * x)
		p := math.FMA(xx, math.FMA(xx, math.FMA(xx, math.FMA(xx, s5, s4), s3), s2), s1)
		return x + math.FMA(xx, math.FMA(p, x, -float64(0.5*dx)), dx)
	}
	xold := x
	if x <= 0 {
		dx = -dx
	}
	x, k := tabIndex(math.Abs(x))
	xx := float64(x * x)
	s := x + math.FMA(float64(x*xx), math.FMA(xx, sn5, sn3), dx)
	c := math.FMA(x, dx, float64(xx*math.FMA(xx, math.FMA(xx, cs6, cs4), cs2)))
	sn, ssn, cs, ccs := sincosTab[k], sincosTab[k+1], sincosTab[k+2], sincosTab[k+3]
	cor := math.FMA(s, cs, math.FMA(-c, sn, math.FMA(s, ccs, ssn)))
	return math.Copysign(sn+cor, xold)
}

// doCosFMA is doCos in glibc's FMA build.
func doCosFMA(x, dx float64) float64 {
	if x < 0 {
		dx = -dx
	}
	x, k := tabIndex(math.Abs(x))
	x += dx
	xx := float64(x * x)
	s := math.FMA(float64(x*xx), math.FMA(xx, sn5, sn3), x)
	c := float64(xx * math.FMA(xx, math.FMA(xx, cs6, cs4), cs2))
	sn, ssn, cs, ccs := sincosTab[k], sincosTab[k+1], sincosTab[k+2], sincosTab[k+3]
	cor := math.FMA(-s, sn, math.FMA(-c, cs, math.FMA(-s, ssn, ccs)))
	return cs + cor
}

// reduceFMA is reduce in glibc's FMA build.
func reduceFMA(x float64) (a, da float64, n uint32) {
	t := math.FMA(x, hpinv, toint)
	xn := t - toint
	n = uint32(math.Float64bits(t)) & 3 // #nosec G115 -- the low word of the float's bits, as fdlibm reads it
	y := math.FMA(-xn, mp2, math.FMA(-xn, mp1, x))
	t2 := math.FMA(-xn, pp3, y)
	db := math.FMA(-xn, pp3, y-t2)
	b := math.FMA(-xn, pp4, t2)
	db += math.FMA(-xn, pp4, t2-b)
	return b, db, n
}
