package main

import "testing"

func TestSpliceSection(t *testing.T) {
	page := "# B\n\nhead\n\n## Simulation\n\nsim\n\n## Build\n\nold\n\n## Push\n\npush\n"
	for _, c := range []struct{ title, text, want string }{
		{"Build", "## Build\n\nnew\n\n", "# B\n\nhead\n\n## Simulation\n\nsim\n\n## Build\n\nnew\n\n## Push\n\npush\n"},
		{"Push", "## Push\n\nnew\n", "# B\n\nhead\n\n## Simulation\n\nsim\n\n## Build\n\nold\n\n## Push\n\nnew\n"},
		{"Deploy", "## Deploy\n\nnew\n", page + "\n## Deploy\n\nnew\n"},
	} {
		if got := spliceSection(page, c.title, c.text); got != c.want {
			t.Errorf("splicing %s:\ngot  %q\nwant %q", c.title, got, c.want)
		}
	}
}
