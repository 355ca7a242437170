package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// A sweep split over a matrix (simulate --shard i/n) leaves one results
// directory per shard. Each holds its runs' summary.json (the Suite) and
// ShardFile, which says which shard it is; Merge puts the runs back in the
// order one runner would have run them, so the merged reports are the
// unsharded run's, byte for byte.

// ShardFile names the file a shard writes beside its summary.json.
const ShardFile = "shard.json"

// ShardInfo is ShardFile: this shard is Index of Of, of a plan of Planned
// runs. Run k of the plan goes to shard k mod Of + 1, so the shard's j-th
// run is the plan's (Index-1) + j*Of.
type ShardInfo struct {
	Index   int `json:"shard"`
	Of      int `json:"shards"`
	Planned int `json:"planned"`
}

// Runs returns how many runs the shard has.
func (s ShardInfo) Runs() int {
	if s.Index > s.Planned {
		return 0
	}
	return (s.Planned-s.Index)/s.Of + 1
}

// JSON renders ShardFile.
func (s ShardInfo) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding %s: %w", ShardFile, err)
	}
	return append(b, '\n'), nil
}

// Shard is one shard's results directory, read.
type Shard struct {
	Dir   string
	Info  ShardInfo
	Suite Suite
}

// ReadShard reads the results directory of one shard.
func ReadShard(dir string) (Shard, error) {
	sh := Shard{Dir: dir}
	data, err := os.ReadFile(filepath.Join(dir, ShardFile)) // #nosec G304 -- a shard directory the user asked to merge
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return sh, &MergeError{Dir: dir, Message: "no " + ShardFile + ": not the results of simulate --shard i/n"}
		}
		return sh, fmt.Errorf("reading shard %s: %w", dir, err)
	}
	if err := strictJSON(data, &sh.Info); err != nil || sh.Info.Of < 1 || sh.Info.Index < 1 || sh.Info.Index > sh.Info.Of || sh.Info.Planned < 1 {
		return sh, &MergeError{Dir: dir, Message: fmt.Sprintf("%s is not a shard description (%v)", ShardFile, err)}
	}
	data, err = os.ReadFile(filepath.Join(dir, "summary.json")) // #nosec G304 -- that shard's summary
	if err != nil {
		return sh, &MergeError{Dir: dir, Message: fmt.Sprintf("reading summary.json: %v", err)}
	}
	if err := strictJSON(data, &sh.Suite); err != nil {
		return sh, &MergeError{Dir: dir, Message: fmt.Sprintf("summary.json is not a sweep's summary: %v", err)}
	}
	if got, want := len(sh.Suite.Runs), sh.Info.Runs(); got != want {
		return sh, &MergeError{Dir: dir, Message: fmt.Sprintf("shard %d/%d has %d runs, its plan gives it %d: it did not finish", sh.Info.Index, sh.Info.Of, got, want)}
	}
	return sh, nil
}

func strictJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// MergeError is a shard that cannot be merged: missing, repeated, from
// another plan or incomplete. It is invalid input (exit 3).
type MergeError struct {
	Dir     string
	Message string
}

func (e *MergeError) Error() string {
	if e.Dir == "" {
		return "merging shards: " + e.Message
	}
	return "merging shards: " + e.Dir + ": " + e.Message
}

// ExitCode marks a merge mistake as invalid input.
func (e *MergeError) ExitCode() int { return 3 }

// maxListed is how many missing shards a merge error names.
const maxListed = 10

// Merge combines every shard of one plan into the Suite one runner would
// have produced: the runs in plan order, the verdict and the spread over
// all of them.
func Merge(shards []Shard) (Suite, error) {
	if len(shards) == 0 {
		return Suite{}, &MergeError{Message: "no shard given"}
	}
	sorted := append([]Shard(nil), shards...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Info.Index < sorted[j].Info.Index })
	first := sorted[0].Info
	for i, sh := range sorted {
		if sh.Info.Of != first.Of || sh.Info.Planned != first.Planned {
			return Suite{}, &MergeError{Dir: sh.Dir, Message: fmt.Sprintf("shard %d/%d of %d runs does not belong with %s, shard %d/%d of %d runs",
				sh.Info.Index, sh.Info.Of, sh.Info.Planned, sorted[0].Dir, first.Index, first.Of, first.Planned)}
		}
		if i > 0 && sorted[i-1].Info.Index == sh.Info.Index {
			return Suite{}, &MergeError{Dir: sh.Dir, Message: fmt.Sprintf("shard %d/%d is also %s", sh.Info.Index, sh.Info.Of, sorted[i-1].Dir)}
		}
	}
	have := map[int]bool{}
	for _, sh := range sorted {
		have[sh.Info.Index] = true
	}
	// Shards past the plan's runs have none. The search stops at ten
	// missing ones: it then costs what was given, not what shard.json
	// claims (a billion shards once meant a billion steps and as many
	// numbers in the message).
	var missing []int
	withRuns := min(first.Of, first.Planned)
	for i := 1; i <= withRuns && len(missing) < maxListed; i++ {
		if !have[i] {
			missing = append(missing, i)
		}
	}
	if len(missing) > 0 {
		given := 0
		for i := range have {
			if i <= withRuns {
				given++
			}
		}
		more := ""
		if n := withRuns - given - len(missing); n > 0 {
			more = fmt.Sprintf(" and %d more", n)
		}
		return Suite{}, &MergeError{Message: fmt.Sprintf("shards %v%s of %d are missing; give every shard's results directory", missing, more, first.Of)}
	}
	runs := make([]Run, first.Planned)
	for _, sh := range sorted {
		for j, r := range sh.Suite.Runs {
			runs[sh.Info.Index-1+j*sh.Info.Of] = r
		}
	}
	return NewSuite(runs), nil
}
