package report

import (
	"regexp"
	"strings"
	"testing"
)

const xss = `<script>alert(1)</script>`

// hostileSuite puts markup everywhere a pull request can put text: node
// ids, scenario name, descriptions, scopes, fault targets, errors, warnings.
func hostileSuite() Suite {
	s := sweepSuite()
	for i := range s.Runs {
		r := &s.Runs[i]
		r.Scenario = "evil" + xss
		r.ScenarioFile = "scenarios/" + xss + ".yaml"
		r.Network.Links[0].Src = xss
		r.Network.Links[1].Dst = `"><img src=x onerror=alert(1)>`
		r.Assertions[0].Description = xss
		r.Assertions[1].Where = map[string]string{"src": xss}
		r.Faults[0].Target = xss + "->gateway1"
		r.Warnings = []string{"node " + xss + " sent nothing"}
	}
	s.Runs[2].Verdict = Error
	s.Runs[2].Error = "starting " + xss
	s.Spread[0].Scenario = "evil" + xss
	s.Spread[0].Where = map[string]string{"dst": xss}
	return s
}

func TestHTMLEscapesScenarioText(t *testing.T) {
	t.Parallel()
	out, err := HTML(hostileSuite())
	if err != nil {
		t.Fatalf("HTML() = %v", err)
	}
	page := string(out)
	for _, bad := range []string{xss, "<img", "<script"} {
		if strings.Contains(page, bad) {
			t.Errorf("report.html contains %q unescaped", bad)
		}
	}
	if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("report.html lost the escaped node id")
	}
}

func TestHTMLSelfContained(t *testing.T) {
	t.Parallel()
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			out, err := HTML(f.suite())
			if err != nil {
				t.Fatalf("HTML() = %v", err)
			}
			page := string(out)
			// The SVG namespace is a name, not a fetch; nothing else may point
			// outside the file.
			page = strings.ReplaceAll(page, `xmlns="http://www.w3.org/2000/svg"`, "")
			for _, bad := range []string{"<script", "<link", "<img", "<iframe", "<object", "url(", "@import", "http://", "https://"} {
				if strings.Contains(page, bad) {
					t.Errorf("report.html contains %q: it must work offline with nothing loaded", bad)
				}
			}
			// Links stay inside the page.
			if m := regexp.MustCompile(`<[a-z]+\s[^>]*\b(src|href)="[^#]`).FindString(page); m != "" {
				t.Errorf("report.html refers outside itself: %s", m)
			}
			if !strings.Contains(page, "Content-Security-Policy") {
				t.Errorf("report.html has no Content-Security-Policy")
			}
		})
	}
}

func TestHTMLCharts(t *testing.T) {
	t.Parallel()
	out, err := HTML(sweepSuite())
	if err != nil {
		t.Fatalf("HTML() = %v", err)
	}
	page := string(out)
	for _, want := range []string{
		`id="run-1"`, `id="run-3"`,
		`<svg id="chart-latency-1" class="chart chart-latency"`, `<svg id="chart-latency-3"`,
		`<svg id="chart-links-2" class="chart chart-links"`,
		`<rect class="fault"`, `class="line-avg"`, `class="line-max"`,
		`class="spread"`, `class="seeds"`,
		// The palette summary.md names in its chart titles.
		colorAvg, colorMax, colorDelivered, colorDropped, colorFault,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("report.html has no %s", want)
		}
	}
	// Two faults on each of three runs.
	if n := strings.Count(page, `<rect class="fault"`); n != 6 {
		t.Errorf("report.html shades %d fault windows, want 6", n)
	}
	// Coordinates are finite numbers.
	if regexp.MustCompile(`NaN|Inf`).MatchString(page) {
		t.Errorf("report.html has a NaN or Inf coordinate")
	}
	// The failing seed's section is open, the passing ones closed.
	if !strings.Contains(page, `<details class="run" id="run-2" open>`) || strings.Contains(page, `id="run-1" open`) {
		t.Errorf("only the failing seed's section should be open")
	}
}

// TestHTMLDegenerateRuns: no traffic, one bucket, zero latency, NaN from a
// division by zero upstream: the page renders with finite geometry.
func TestHTMLDegenerateRuns(t *testing.T) {
	t.Parallel()
	r := run("idle", "scenarios/idle.yaml", 1, 1)
	r.Timeline[0] = Bucket{LatencyAvgMS: nan(), LatencyMaxMS: 0}
	r.Network.Links = []Link{{Src: "a", Dst: "b"}}
	r.Faults = []Fault{{Kind: "node_crash", AtS: 0.5, EndS: 0.5, Target: "b"}}
	empty := run("empty", "scenarios/empty.yaml", 2, 0)
	empty.Network.Links = nil
	for _, s := range []Suite{{Runs: []Run{r}}, {Runs: []Run{empty}}, {}} {
		out, err := HTML(s)
		if err != nil {
			t.Fatalf("HTML() = %v", err)
		}
		if regexp.MustCompile(`="[^"]*(NaN|Inf)`).Match(out) {
			t.Errorf("report.html has a NaN or Inf attribute")
		}
		if _, err := Markdown(s); err != nil {
			t.Fatalf("Markdown() = %v", err)
		}
	}
}
