package ident

import (
	"fmt"
	"strconv"
)

// MaxLen is the longest name: a DNS label, as a network alias must be.
const MaxLen = 63

// Charset says in words what Check accepts, for hints and documentation.
const Charset = "letters, digits, '_', '.' and '-', starting with a letter or digit, at most 63 characters"

// Valid reports whether s is a name of the charset.
func Valid(s string) bool {
	if s == "" || len(s) > MaxLen || !alnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !alnum(c) && c != '_' && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

// Check returns nil for a valid name, else an error naming what (node id,
// host name, ...), the name quoted and what is wrong with it.
func Check(what, s string) error {
	switch {
	case s == "":
		return fmt.Errorf("%s must not be empty", what)
	case len(s) > MaxLen:
		return fmt.Errorf("%s is %d characters long; the limit is %d", what, len(s), MaxLen)
	case !Valid(s):
		return fmt.Errorf("%s %s has characters outside the name charset (%s)", what, strconv.Quote(s), Charset)
	}
	return nil
}

func alnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
