package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// runSpec is one scenario file with one seed. seed is nil when the
// scenario's own seed is used.
type runSpec struct {
	file string
	seed *int64
}

// expandScenarios resolves globs; each argument must match something.
func expandScenarios(args []string) ([]string, error) {
	var files []string
	seen := map[string]bool{}
	for _, a := range args {
		matches := []string{a}
		if strings.ContainsAny(a, "*?[") {
			m, err := filepath.Glob(a)
			if err != nil {
				return nil, usageError("scenario pattern %q: %v", a, err)
			}
			if len(m) == 0 {
				return nil, usageError("scenario pattern %q matches no file", a)
			}
			sort.Strings(m)
			matches = m
		}
		for _, f := range matches {
			if !seen[f] {
				seen[f] = true
				files = append(files, f)
			}
		}
	}
	return files, nil
}

// maxSeeds bounds the seeds of one invocation, so a typo cannot make
// --plan or a sweep list runs until memory runs out.
const maxSeeds = 100000

// parseSeeds reads "1-20", "1,5,9" or a mix ("1-3,7"): at most maxSeeds
// seeds, each one an int64.
func parseSeeds(spec string) ([]int64, error) {
	var seeds []int64
	seen := map[int64]bool{}
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		if isRange && lo == "" { // a negative seed, "-5"
			lo, hi, isRange = part, "", false
		}
		a, err := strconv.ParseInt(strings.TrimSpace(lo), 10, 64)
		if err != nil {
			return nil, usageError("--seeds %q: %q is not a seed; write 1-20 or 1,5,9", spec, part)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseInt(strings.TrimSpace(hi), 10, 64); err != nil || b < a {
				return nil, usageError("--seeds %q: %q is not a range; write 1-20", spec, part)
			}
			// a >= 0 here (a negative start is not a range), so b-a
			// cannot overflow.
			if b-a >= maxSeeds {
				return nil, usageError("--seeds %q: more than %d seeds", spec, maxSeeds)
			}
		}
		// Counted from 0 so that b = MaxInt64 ends the loop instead of
		// wrapping around.
		for k := int64(0); k <= b-a; k++ {
			if s := a + k; !seen[s] {
				seen[s] = true
				seeds = append(seeds, s)
			}
		}
		if len(seeds) > maxSeeds {
			return nil, usageError("--seeds %q: more than %d seeds", spec, maxSeeds)
		}
	}
	if len(seeds) == 0 {
		return nil, usageError("--seeds %q names no seed", spec)
	}
	return seeds, nil
}

// parseShard reads "i/n" with 1 <= i <= n.
func parseShard(spec string) (i, n int, err error) {
	a, b, ok := strings.Cut(spec, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return 0, 0, usageError("--shard %q: write i/n with 1 <= i <= n, e.g. 2/4", spec)
	}
	return i, n, nil
}

// plan lists the runs: every file with every seed, in a stable order.
func plan(files []string, seeds []int64) []runSpec {
	var runs []runSpec
	for _, f := range files {
		if len(seeds) == 0 {
			runs = append(runs, runSpec{file: f})
			continue
		}
		for _, s := range seeds {
			runs = append(runs, runSpec{file: f, seed: &s})
		}
	}
	return runs
}

// shard keeps the runs of shard i of n: run k goes to shard k mod n + 1,
// so every shard gets a similar mix whatever the order of the files.
func shard(runs []runSpec, i, n int) []runSpec {
	var out []runSpec
	for k, r := range runs {
		if k%n == i-1 {
			out = append(out, r)
		}
	}
	return out
}

// matrix is what --plan prints: a GitHub Actions matrix.
type matrix struct {
	Include []matrixEntry `json:"include"`
}

type matrixEntry struct {
	Shard    string `json:"shard,omitempty"`
	Scenario string `json:"scenario,omitempty"`
	Seed     *int64 `json:"seed,omitempty"`
	Runs     int    `json:"runs,omitempty"`
}

// planJSON renders the matrix: one entry per run, or per shard when shards
// > 0.
func planJSON(runs []runSpec, shards int) ([]byte, error) {
	m := matrix{Include: []matrixEntry{}}
	if shards > 0 {
		for i := 1; i <= shards; i++ {
			if n := len(shard(runs, i, shards)); n > 0 {
				m.Include = append(m.Include, matrixEntry{Shard: fmt.Sprintf("%d/%d", i, shards), Runs: n})
			}
		}
	} else {
		for _, r := range runs {
			m.Include = append(m.Include, matrixEntry{Scenario: r.file, Seed: r.seed})
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encoding plan: %w", err)
	}
	return append(b, '\n'), nil
}
