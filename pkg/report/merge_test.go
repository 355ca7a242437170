package report

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestMergeMissingShards: a merge names the missing shards that hold
// runs, at most ten of them, and costs what was given: a shard.json that
// claims a trillion shards once meant a trillion steps and a list as long.
func TestMergeMissingShards(t *testing.T) {
	t.Parallel()
	shard := func(index, of, planned int) Shard {
		info := ShardInfo{Index: index, Of: of, Planned: planned}
		runs := make([]Run, info.Runs())
		return Shard{Dir: "d", Info: info, Suite: Suite{Runs: runs}}
	}
	for _, tc := range []struct {
		name   string
		shards []Shard
		want   string
	}{
		{"one of three", []Shard{shard(1, 3, 9), shard(3, 3, 9)}, "merging shards: shards [2] of 3 are missing; give every shard's results directory"},
		{"shards past the runs have none", []Shard{shard(1, 5, 2)}, "merging shards: shards [2] of 5 are missing; give every shard's results directory"},
		{"a trillion", []Shard{shard(1, 1_000_000_000_000, 1_000_000_000_000), shard(4, 1_000_000_000_000, 1_000_000_000_000)},
			"merging shards: shards [2 3 5 6 7 8 9 10 11 12] and 999999999988 more of 1000000000000 are missing; give every shard's results directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Merge(tc.shards)
			var merr *MergeError
			if !errors.As(err, &merr) {
				t.Fatalf("Merge() error = %v, want a *MergeError", err)
			}
			if diff := cmp.Diff(tc.want, err.Error()); diff != "" {
				t.Errorf("Merge() error (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := Merge([]Shard{shard(1, 5, 2), shard(2, 5, 2), shard(4, 5, 2)}); err != nil {
		t.Errorf("every shard with runs given: %v", err)
	}
}
