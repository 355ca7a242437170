package netmodel

import "math/bits"

// Sum128 is an exact signed 128-bit sum of latencies. An int64 of
// microseconds wrapped after about 290,000 messages of a year-long
// latency, and the mean turned negative; 128 bits hold any count of any
// int64 latency. It is comparable with ==.
type Sum128 struct {
	Hi int64
	Lo uint64
}

// add adds v.
func (s *Sum128) add(v int64) {
	var carry uint64
	s.Lo, carry = bits.Add64(s.Lo, uint64(v), 0) // #nosec G115 -- v's two's complement bits: its sign goes into the high word below
	s.Hi += int64(carry) + v>>63                 // #nosec G115 -- carry is 0 or 1
}

// addMul adds v*c, for a count c >= 0.
func (s *Sum128) addMul(v, c int64) {
	neg := v < 0
	a := uint64(v) // #nosec G115 -- the magnitude is taken below
	if neg {
		a = -a
	}
	hi, lo := bits.Mul64(a, uint64(c)) // #nosec G115 -- c >= 0
	if neg {
		// Two's complement of the 128-bit product.
		lo, hi = ^lo+1, ^hi
		if lo == 0 {
			hi++
		}
	}
	var carry uint64
	s.Lo, carry = bits.Add64(s.Lo, lo, 0)
	s.Hi += int64(hi) + int64(carry) // #nosec G115 -- two's complement words
}

// Float returns the sum as a float64. A sum that fits in an int64 (every
// run of sane latencies) converts exactly as float64(int64) does, so the
// reports of such runs are unchanged.
func (s Sum128) Float() float64 {
	if lo := int64(s.Lo); s.Hi == lo>>63 { // #nosec G115 -- two's complement words
		return float64(lo)
	}
	return float64(s.Hi)*0x1p64 + float64(s.Lo)
}
