package yamldiag

import "strings"

// Suggest returns the candidate closest to word, if one is close enough to
// be a likely typo: one edit (or swap of neighbours) per four letters, at
// least one; a word that differs only in case is always close enough.
func Suggest(word string, candidates []string) string {
	best, bestDist := "", 0
	for _, c := range candidates {
		d := distance(strings.ToLower(word), c)
		if d > 0 && d <= max(1, len(c)/4) && (best == "" || d < bestDist) {
			best, bestDist = c, d
		}
		if d == 0 && word != c { // differs only in case
			return c
		}
	}
	return best
}

// KeyHint is the hint for the unknown key name: the known key it is likely
// a typo of, or else the list of known keys.
func KeyHint(name string, known []string) string {
	if s := Suggest(name, known); s != "" {
		return "did you mean " + s + "?"
	}
	return "known keys: " + strings.Join(known, ", ")
}

// distance is the optimal string alignment distance between a and b: edits
// and transpositions of adjacent bytes (prot for port) count one each.
func distance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 30 // not a typo of a short key; and keeps the cost bounded
	}
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
