package pyfmt

import (
	"math"
	"strconv"
)

// Repr returns Python's repr(f) (equally str(f), and what csv.writer writes
// for a float).
func Repr(f float64) string {
	var buf [32]byte
	return string(AppendRepr(buf[:0], f))
}

// AppendRepr appends Python's repr(f) to dst and returns the extended
// buffer. It does not allocate when dst has room for 24 more bytes.
//
// Python prints the shortest digit string that reads back as f, as Go's
// strconv does with precision -1 (both pick the closest such string), but
// lays it out differently: fixed notation when the decimal exponent of the
// first digit is in [-4, 16), with ".0" appended to integral values, and
// otherwise scientific notation with a signed exponent of at least two
// digits and no ".0" ("1e+16", "1.5e-05").
func AppendRepr(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "nan"...) // Python drops a NaN's sign
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	}

	// Shortest digits in Go's scientific form: [-]d[.ddd]e±XX[X].
	var buf [32]byte
	s := strconv.AppendFloat(buf[:0], f, 'e', -1, 64)
	if s[0] == '-' {
		dst = append(dst, '-')
		s = s[1:]
	}
	ePos := len(s) - 4 // the exponent has two or three digits
	if s[ePos] != 'e' {
		ePos--
	}
	exp := 0
	for _, c := range s[ePos+2:] {
		exp = exp*10 + int(c-'0')
	}
	if s[ePos+1] == '-' {
		exp = -exp
	}
	if exp < -4 || exp >= 16 {
		// Go's exponent already has the sign and the two-digit minimum.
		return append(dst, s...)
	}

	// Fixed notation: collect the significant digits without the point.
	var digBuf [17]byte
	digits := append(digBuf[:0], s[0])
	if ePos > 1 {
		digits = append(digits, s[2:ePos]...)
	}
	switch {
	case exp < 0: // 0.000ddd
		dst = append(dst, '0', '.')
		for i := -1; i > exp; i-- {
			dst = append(dst, '0')
		}
		dst = append(dst, digits...)
	case exp+1 >= len(digits): // ddd000.0
		dst = append(dst, digits...)
		for i := len(digits); i <= exp; i++ {
			dst = append(dst, '0')
		}
		dst = append(dst, '.', '0')
	default: // dd.ddd
		dst = append(dst, digits[:exp+1]...)
		dst = append(dst, '.')
		dst = append(dst, digits[exp+1:]...)
	}
	return dst
}

// Format2 returns Python's f"{f:.2f}" (equally "%.2f" % f and
// format(f, ".2f")).
func Format2(f float64) string {
	var buf [32]byte
	return string(AppendFormat2(buf[:0], f))
}

// AppendFormat2 appends Python's f"{f:.2f}" to dst and returns the extended
// buffer.
//
// Both Python and strconv round the exact binary value correctly, ties to
// even (so 2.675, really 2.67499999..., gives "2.67", and 0.125 gives
// "0.12"), and print every integer digit of large values; they differ only
// in how they spell the non-finite values.
func AppendFormat2(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "nan"...)
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	}
	return strconv.AppendFloat(dst, f, 'f', 2, 64)
}
