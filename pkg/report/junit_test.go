package report

import (
	"encoding/xml"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// parsedJUnit is junit.xml as a reporter reads it back.
type parsedJUnit struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Cases    []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
			File      string `xml:"file,attr"`
			Line      int    `xml:"line,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func parseJUnit(t *testing.T, s Suite) parsedJUnit {
	t.Helper()
	b, err := JUnit(s)
	if err != nil {
		t.Fatalf("JUnit() = %v", err)
	}
	var p parsedJUnit
	if err := xml.Unmarshal(b, &p); err != nil {
		t.Fatalf("parsing junit.xml back: %v\n%s", err, b)
	}
	return p
}

func TestJUnitCounts(t *testing.T) {
	t.Parallel()
	type count struct{ Tests, Failures, Errors int }
	tests := []struct {
		name   string
		suite  Suite
		total  count
		suites []count
		names  []string // suite names
	}{
		{"pass", passingSuite(), count{2, 0, 0}, []count{{2, 0, 0}}, []string{"m0_baseline seed 42"}},
		{"fail", failingSuite(), count{3, 1, 1}, []count{{3, 1, 1}}, []string{"gate seed 7"}},
		{"error", erroredSuite(), count{2, 0, 2}, []count{{1, 0, 1}, {1, 0, 1}}, []string{"gate seed 7", "mqtt_test seed 1"}},
		{"sweep", sweepSuite(), count{6, 1, 0}, []count{{2, 0, 0}, {2, 1, 0}, {2, 0, 0}},
			[]string{"faulty_links seed 1", "faulty_links seed 2", "faulty_links seed 3"}},
		{"empty", Suite{Verdict: Pass}, count{}, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := parseJUnit(t, tc.suite)
			if diff := cmp.Diff(tc.total, count{p.Tests, p.Failures, p.Errors}); diff != "" {
				t.Errorf("testsuites counts mismatch (-want +got):\n%s", diff)
			}
			var got []count
			var names []string
			for _, s := range p.Suites {
				got = append(got, count{s.Tests, s.Failures, s.Errors})
				names = append(names, s.Name)
				// Counts must agree with the test cases, as reporters recount.
				var c count
				for _, tc := range s.Cases {
					c.Tests++
					if tc.Failure != nil {
						c.Failures++
					}
					if tc.Error != nil {
						c.Errors++
					}
				}
				if c != (count{s.Tests, s.Failures, s.Errors}) {
					t.Errorf("suite %q says %+v but holds %+v", s.Name, count{s.Tests, s.Failures, s.Errors}, c)
				}
			}
			if diff := cmp.Diff(tc.suites, got); diff != "" {
				t.Errorf("testsuite counts mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.names, names); diff != "" {
				t.Errorf("testsuite names mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestJUnitFailureNamesMetricAndActual(t *testing.T) {
	t.Parallel()
	p := parseJUnit(t, failingSuite())
	c := p.Suites[0].Cases[0]
	if c.Failure == nil {
		t.Fatalf("test case %q has no failure", c.Name)
	}
	for _, want := range []string{"packet_delivery_rate", "0.95", ">=", "0.99"} {
		if !strings.Contains(c.Failure.Message, want) {
			t.Errorf("failure message %q does not name %q", c.Failure.Message, want)
		}
	}
	if c.Name != "readings reach the gateway" || c.Classname != "gate" || c.File != "scenarios/gate.yaml" || c.Line != 12 {
		t.Errorf("test case = %q class %q at %s:%d, want the description, the scenario and scenarios/gate.yaml:12",
			c.Name, c.Classname, c.File, c.Line)
	}
	if !strings.Contains(c.Failure.Text, "xedgesim simulate --seed 7 scenarios/gate.yaml") {
		t.Errorf("failure body does not say how to reproduce:\n%s", c.Failure.Text)
	}
	if e := p.Suites[0].Cases[2].Error; e == nil || !strings.Contains(e.Message, "no node matches gateway9") {
		t.Errorf("unmeasured assertion error = %+v, want its reason", e)
	}
}

func TestJUnitRunWithoutAssertions(t *testing.T) {
	t.Parallel()
	r := run("m0_baseline", "scenarios/m0_baseline.yaml", 42, 5)
	p := parseJUnit(t, Suite{Verdict: Pass, Runs: []Run{r}})
	cases := p.Suites[0].Cases
	if len(cases) != 1 || cases[0].Name != "runs without error" || cases[0].Failure != nil || cases[0].Error != nil {
		t.Errorf("test cases = %+v, want one passing \"runs without error\"", cases)
	}
}

// TestJUnitHostileText checks that control characters and CDATA ends in
// scenario text still give well-formed XML with the text intact.
func TestJUnitHostileText(t *testing.T) {
	t.Parallel()
	s := failingSuite()
	s.Runs[0].Assertions[0].Description = "ends ]]> here \x00\x1b[31m <b>&"
	s.Runs[0].Warnings = append(s.Runs[0].Warnings, "]]><script>alert(1)</script>")
	p := parseJUnit(t, s)
	c := p.Suites[0].Cases[0]
	if !strings.Contains(c.Name, "ends ]]> here") || !strings.Contains(c.Failure.Text, "ends ]]> here") {
		t.Errorf("description lost in the round trip: name %q, body %q", c.Name, c.Failure.Text)
	}
}

func TestJUnitSystemOut(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		warnings, notes []string
		want            string
	}{
		{"nothing said", nil, nil, ""},
		{"warnings", []string{"w1", "w2"}, nil, "warnings:\nw1\nw2\n"},
		{"notes", nil, []string{"paced to the wall clock"}, "notes:\npaced to the wall clock\n"},
		{"both, warnings first", []string{"w"}, []string{"n"}, "warnings:\nw\nnotes:\nn\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := passingSuite()
			s.Runs[0].Warnings, s.Runs[0].Notes = tt.warnings, tt.notes
			b, err := JUnit(s)
			if err != nil {
				t.Fatalf("JUnit() = %v", err)
			}
			var p struct {
				Suites []struct {
					Out *string `xml:"system-out"`
				} `xml:"testsuite"`
			}
			if err := xml.Unmarshal(b, &p); err != nil {
				t.Fatalf("parsing junit.xml back: %v\n%s", err, b)
			}
			got := ""
			if o := p.Suites[0].Out; o != nil {
				got = *o
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("<system-out> (-want +got):\n%s", diff)
			}
		})
	}
}
