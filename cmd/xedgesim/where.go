package main

import (
	"sort"
	"strings"
)

// whereText is an assertion's scope for the terminal and annotations,
// " [observe=aggregates]", so a failure names what it measured; "" when
// the assertion has none.
func whereText(where map[string]string) string {
	if len(where) == 0 {
		return ""
	}
	parts := make([]string, 0, len(where))
	for k, v := range where {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return " [" + strings.Join(parts, ", ") + "]"
}
