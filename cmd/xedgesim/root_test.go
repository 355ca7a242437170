package main

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"
)

// TestVerbNames keeps the verb table in step with the commands: a verb is
// found by the name that calls it, so a renamed command would otherwise be
// reachable only through the whole tree.
func TestVerbNames(t *testing.T) {
	seen := map[string]bool{}
	for _, v := range verbs {
		if got := v.new().Name(); got != v.name {
			t.Errorf("verbs lists %q for the command named %q", v.name, got)
		}
		if seen[v.name] {
			t.Errorf("verbs lists %q twice", v.name)
		}
		seen[v.name] = true
	}
	if got, want := len(newRoot().Commands()), len(verbs); got != want {
		t.Errorf("the whole root has %d commands, verbs lists %d", got, want)
	}
}

// TestRootForOneVerb checks that a root built with only the called verb
// answers as the whole tree does: the same help, the same errors.
func TestRootForOneVerb(t *testing.T) {
	cases := [][]string{{"nosuchverb"}, {"--version"}, {"help", "deploy"}}
	for _, v := range verbs {
		cases = append(cases, []string{v.name, "--help"}, []string{v.name, "--no-such-flag"})
	}
	for _, args := range cases {
		var out [2]string
		var errs [2]string
		for i, root := range []*cobra.Command{newRoot(), newRootFor(args)} {
			var o, e bytes.Buffer
			root.SetArgs(args)
			root.SetOut(&o)
			root.SetErr(&e)
			err := root.Execute()
			out[i] = o.String()
			if err != nil {
				errs[i] = err.Error()
			}
		}
		if diff := cmp.Diff(out[0], out[1]); diff != "" {
			t.Errorf("%v: output differs (-whole tree +one verb):\n%s", args, diff)
		}
		if errs[0] != errs[1] {
			t.Errorf("%v: error %q from the whole tree, %q from one verb", args, errs[0], errs[1])
		}
	}
}
