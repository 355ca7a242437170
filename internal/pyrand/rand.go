package pyrand

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"strconv"
)

// MT19937 parameters, as in CPython's Modules/_randommodule.c.
const (
	mtN         = 624
	mtM         = 397
	matrixA     = 0x9908b0df
	upperMask   = 0x80000000
	lowerMask   = 0x7fffffff
	twoPi       = 2.0 * math.Pi // Python's TWOPI: 2.0*pi rounds to the same double
	initDefault = 19650218
)

// Rand is a CPython random.Random: the same MT19937 state, seeding,
// random() and gauss(), including gauss's cached second variate.
//
// A Rand is not safe for concurrent use; give each goroutine (each simulated
// node, as upstream does) its own.
type Rand struct {
	mt  [mtN]uint32
	mti int

	gaussNext    float64
	hasGaussNext bool
	libm         Libm
}

// New returns a generator seeded as Python's random.Random(seed), with the
// default Libm, GlibcFMA.
func New(seed uint64) *Rand {
	return NewWithLibm(seed, GlibcFMA)
}

// NewWithLibm returns a generator seeded as Python's random.Random(seed)
// whose Gauss reproduces CPython linked against the given libm build.
func NewWithLibm(seed uint64, l Libm) *Rand {
	r := &Rand{libm: l}
	r.Seed(seed)
	return r
}

// Seed resets r to the state of Python's random.Random(seed), and like
// Python's seed() drops any cached gauss variate.
//
// CPython seeds from the absolute value of an int split into 32-bit words,
// least significant first, with at least one word: so seeds below 2^32
// (0 included) use one word and larger ones two.
func (r *Rand) Seed(seed uint64) {
	key := [2]uint32{uint32(seed), uint32(seed >> 32)} // #nosec G115 -- splitting the 64-bit seed into its two 32-bit words, as CPython does: truncation is the point
	n := 1
	if seed>>32 != 0 {
		n = 2
	}
	r.initByArray(key[:n])
	r.hasGaussNext = false
	r.gaussNext = 0
}

// Libm reports which libm build r's Gauss reproduces.
func (r *Rand) Libm() Libm { return r.libm }

func (r *Rand) initGenrand(s uint32) {
	r.mt[0] = s
	for i := 1; i < mtN; i++ {
		r.mt[i] = 1812433253*(r.mt[i-1]^(r.mt[i-1]>>30)) + uint32(i)
	}
	r.mti = mtN
}

func (r *Rand) initByArray(key []uint32) {
	r.initGenrand(initDefault)
	mt := &r.mt
	i, j := 1, 0
	k := max(mtN, len(key))
	for ; k > 0; k-- {
		mt[i] = (mt[i] ^ ((mt[i-1] ^ (mt[i-1] >> 30)) * 1664525)) + key[j] + uint32(j)
		i++
		j++
		if i >= mtN {
			mt[0] = mt[mtN-1]
			i = 1
		}
		if j >= len(key) {
			j = 0
		}
	}
	for k = mtN - 1; k > 0; k-- {
		mt[i] = (mt[i] ^ ((mt[i-1] ^ (mt[i-1] >> 30)) * 1566083941)) - uint32(i)
		i++
		if i >= mtN {
			mt[0] = mt[mtN-1]
			i = 1
		}
	}
	mt[0] = 0x80000000 // MSB is 1, assuring a non-zero initial array
}

// twist regenerates all 624 words at once, as genrand_uint32 does when the
// state is used up.
func (r *Rand) twist() {
	mt := &r.mt
	var kk int
	for ; kk < mtN-mtM; kk++ {
		y := mt[kk]&upperMask | mt[kk+1]&lowerMask
		mt[kk] = mt[kk+mtM] ^ y>>1 ^ (-(y & 1) & matrixA)
	}
	for ; kk < mtN-1; kk++ {
		y := mt[kk]&upperMask | mt[kk+1]&lowerMask
		mt[kk] = mt[kk+(mtM-mtN)] ^ y>>1 ^ (-(y & 1) & matrixA)
	}
	y := mt[mtN-1]&upperMask | mt[0]&lowerMask
	mt[mtN-1] = mt[mtM-1] ^ y>>1 ^ (-(y & 1) & matrixA)
	r.mti = 0
}

// Uint32 returns the next 32-bit output of MT19937, as CPython's
// genrand_uint32 (and so random.getrandbits(32)) does.
func (r *Rand) Uint32() uint32 {
	i := r.mti
	if uint(i) >= mtN { // unsigned compare also drops the bounds check
		r.twist()
		i = 0
	}
	y := r.mt[i]
	r.mti = i + 1
	y ^= y >> 11
	y ^= y << 7 & 0x9d2c5680
	y ^= y << 15 & 0xefc60000
	y ^= y >> 18
	return y
}

// Random returns a float64 in [0, 1) as Python's random() does: 53 random
// bits from two outputs, 27 from the first and 26 from the second.
func (r *Rand) Random() float64 {
	a := r.Uint32() >> 5
	b := r.Uint32() >> 6
	// Both steps are exact, but the conversion keeps a fused multiply-add
	// from even being a question.
	return (float64(float64(a)*67108864.0) + float64(b)) * (1.0 / 9007199254740992.0)
}

// Gauss returns a normal variate with mean mu and standard deviation sigma,
// bit-identical to Python's random.gauss(mu, sigma) (CPython 3.11 and 3.12)
// on the libm build r follows. It draws two variates at a time with the
// Box-Muller transform and caches the second one for the next call, so
// interleaving Gauss and Random calls consumes the stream as Python does.
func (r *Rand) Gauss(mu, sigma float64) float64 {
	var z float64
	if r.hasGaussNext {
		z = r.gaussNext
		r.hasGaussNext = false
	} else {
		l := r.libm
		x2pi := r.Random() * twoPi
		g2rad := math.Sqrt(-2.0 * l.Log(1.0-r.Random()))
		z = float64(l.Cos(x2pi) * g2rad)
		r.gaussNext = float64(l.Sin(x2pi) * g2rad)
		r.hasGaussNext = true
	}
	// Python rounds z*sigma before adding mu; a fused multiply-add would not.
	return mu + float64(z*sigma)
}

// SeedFromString returns the first 8 bytes of SHA-256(s) as a big-endian
// integer, which is how upstream turns a string into a random.Random seed:
// int.from_bytes(sha256(s.encode()).digest()[:8], 'big'). Go strings are
// taken as their bytes, which equals s.encode() for valid UTF-8.
func SeedFromString(s string) uint64 {
	sum := sha256.Sum256([]byte(s))
	return binary.BigEndian.Uint64(sum[:8])
}

// DerivedSeed returns the seed upstream gives node nodeID in a run seeded
// with seed: SeedFromString(f"{node_id}_{seed}"), with seed formatted in
// decimal as Python formats an int.
func DerivedSeed(nodeID string, seed int64) uint64 {
	var buf [128]byte
	b := append(buf[:0], nodeID...)
	b = append(b, '_')
	b = strconv.AppendInt(b, seed, 10)
	sum := sha256.Sum256(b)
	return binary.BigEndian.Uint64(sum[:8])
}
