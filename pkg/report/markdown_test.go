package report

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// bigSuite is scenarios x seeds runs, each with many links, buckets,
// assertions and faults; every seventh run fails.
func bigSuite(scenarios, seeds int) Suite {
	s := Suite{Verdict: Fail}
	for sc := range scenarios {
		name := fmt.Sprintf("fleet_%03d", sc)
		file := fmt.Sprintf("scenarios/fleet_%03d.yaml", sc)
		for seed := 1; seed <= seeds; seed++ {
			r := run(name, file, int64(seed), 60)
			for l := range 40 {
				r.Network.Links = append(r.Network.Links, Link{Src: fmt.Sprintf("sensor%03d", l), Dst: "gateway1",
					PacketsSent: 100, PacketsDelivered: 100 - int64(l%7), PacketsDropped: int64(l % 7)})
			}
			for a := range 6 {
				r.Assertions = append(r.Assertions, outcome(fmt.Sprintf("latency_p%d_ms", 50+a*9), "lte", 50, 20+float64(a), 10+a))
			}
			r.Faults = []Fault{
				{Kind: "link_down", AtS: 10, EndS: 15, Target: "sensor001->gateway1", Dropped: 9, Line: 30},
				{Kind: "partition", AtS: 20, EndS: 25, Target: "[sensor001 sensor002] | [gateway1]", Dropped: 20, Line: 31},
			}
			r.Warnings = []string{fmt.Sprintf("warning for seed %d", seed), "the same warning on every seed"}
			if (sc*seeds+seed)%7 == 0 {
				r.Verdict = Fail
				r.Assertions[0].Actual, r.Assertions[0].Passed = 75, false
			}
			s.Runs = append(s.Runs, r)
		}
		s.Spread = append(s.Spread, Spread{Scenario: name, File: file, Metric: "latency_p50_ms", Seeds: seeds, Min: 20, Mean: 20, Max: 20})
	}
	return s
}

func TestMarkdownByteLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		suite Suite
		limit int
		notes []string // what the degraded summary must say
	}{
		// Every run asks for charts: the byte limit has to drop them.
		{"sweep of 500 seeds", bigSuite(1, 500), StepSummaryLimit, []string{"Charts of"}},
		{"sweep of 500 seeds, 32 KiB", bigSuite(1, 500), 32 << 10, []string{"Charts of", "more seeds not shown"}},
		{"400 scenarios", bigSuite(400, 1), StepSummaryLimit, []string{"Charts of"}},
		{"400 scenarios, 128 KiB", bigSuite(400, 1), 128 << 10, []string{"Charts of", "more scenarios left out"}},
		{"20 scenarios x 30 seeds", bigSuite(20, 30), StepSummaryLimit, []string{"Charts of"}},
		{"small limit", bigSuite(20, 30), 16 << 10, []string{"Charts of", "more scenarios left out"}},
		{"tiny limit", bigSuite(20, 30), minByteLimit, []string{"Summary cut here"}},
		{"fits", sweepSuite(), 64 << 10, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, err := Markdown(tc.suite, WithByteLimit(tc.limit), WithChartRuns(len(tc.suite.Runs)))
			if err != nil {
				t.Fatalf("Markdown() = %v", err)
			}
			if len(out) > tc.limit {
				t.Fatalf("Markdown() is %d bytes, limit %d", len(out), tc.limit)
			}
			md := string(out)
			if !strings.HasPrefix(md, "## ❌ xedgesim simulate: fail\n") && tc.suite.Verdict == Fail {
				t.Errorf("summary does not start with the verdict:\n%.200s", md)
			}
			for _, n := range tc.notes {
				if !strings.Contains(md, n) {
					t.Errorf("degraded summary does not say %q", n)
				}
			}
			if tc.notes == nil && strings.Contains(md, "not shown") {
				t.Errorf("summary that fits was cut")
			}
			if strings.Count(md, "```")%2 != 0 {
				t.Errorf("summary leaves a code fence open")
			}
			t.Logf("%d runs: %d bytes, %d charts", len(tc.suite.Runs), len(out), strings.Count(md, "```mermaid"))
		})
	}
}

// TestMarkdownKeepsFailures: when tables are cut, failing seeds stay.
func TestMarkdownKeepsFailures(t *testing.T) {
	t.Parallel()
	s := bigSuite(1, 500)
	out, err := Markdown(s, WithByteLimit(64<<10))
	if err != nil {
		t.Fatalf("Markdown() = %v", err)
	}
	md := string(out)
	if !strings.Contains(md, "| 497 | ❌ fail |") {
		t.Errorf("a failing seed (497) was cut from the seeds table")
	}
	if !strings.Contains(md, "latency\\_p50\\_ms = 75, want &lt;= 50") {
		t.Errorf("the verdict list does not name the failed assertion with its actual value")
	}
	if strings.Contains(md, "```mermaid") {
		// Failing runs keep their charts longest.
		first := strings.Index(md, "#### ")
		if first >= 0 && !strings.HasPrefix(md[first:], "#### ❌") && !strings.HasPrefix(md[first:], "#### Spread") {
			t.Errorf("charts of a passing run kept before failing ones: %.40s", md[first:])
		}
	}
}

func TestMarkdownOptions(t *testing.T) {
	t.Parallel()
	for _, opt := range []MarkdownOption{WithByteLimit(10), WithChartRuns(-1)} {
		if _, err := Markdown(passingSuite(), opt); err == nil || !strings.Contains(err.Error(), "rendering markdown") {
			t.Errorf("Markdown(bad option) = %v, want an error", err)
		}
	}
	charts := func(opts ...MarkdownOption) int {
		out, err := Markdown(bigSuite(1, 30), opts...)
		if err != nil {
			t.Fatalf("Markdown() = %v", err)
		}
		return strings.Count(string(out), "```mermaid")
	}
	// Two charts per run: latency and links.
	if got := charts(); got != 2*defaultChartRuns {
		t.Errorf("Markdown() draws %d charts, want %d", got, 2*defaultChartRuns)
	}
	if got := charts(WithChartRuns(0)); got != 0 {
		t.Errorf("Markdown(WithChartRuns(0)) draws %d charts, want 0", got)
	}
	if got := charts(WithChartRuns(30)); got != 60 {
		t.Errorf("Markdown(WithChartRuns(30)) draws %d charts, want 60", got)
	}
}

func TestMarkdownEscapesScenarioText(t *testing.T) {
	t.Parallel()
	out, err := Markdown(hostileSuite())
	if err != nil {
		t.Fatalf("Markdown() = %v", err)
	}
	md := string(out)
	for _, bad := range []string{xss, "<img", "<script"} {
		if strings.Contains(md, bad) {
			t.Errorf("summary.md contains %q unescaped", bad)
		}
	}
	// Every row of a table has as many cells as its header: no "|" from
	// the scenario breaks a row.
	for _, table := range regexp.MustCompile(`(?m)(^\|.*\n)+`).FindAllString(md, -1) {
		rows := strings.Split(strings.TrimSuffix(table, "\n"), "\n")
		want := cells(rows[0])
		for _, row := range rows[1:] {
			if got := cells(row); got != want {
				t.Errorf("row %q has %d cells, header %d", row, got, want)
			}
		}
	}
	// Mermaid labels carry no markup (the only ">" is the axis range).
	for _, b := range mermaidBlock.FindAllStringSubmatch(md, -1) {
		if body := strings.ReplaceAll(b[1], "-->", ""); strings.ContainsAny(body, "<>") {
			t.Errorf("mermaid block carries markup:\n%s", b[1])
		}
	}
}

func cells(row string) int { return strings.Count(row, "|") - strings.Count(row, `\|`) }

func TestMdEscape(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"plain text", "plain text"},
		{"a|b", `a\|b`},
		{"<b>x</b> & y", "&lt;b&gt;x&lt;/b&gt; &amp; y"},
		{"[link](http://x)", `\[link\](http://x)`},
		{"*bold* _it_ `code`", "\\*bold\\* \\_it\\_ \\`code\\`"},
		{"two\nlines", "two lines"},
	}
	for _, tc := range tests {
		if got := mdEscape(tc.in); got != tc.want {
			t.Errorf("mdEscape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
