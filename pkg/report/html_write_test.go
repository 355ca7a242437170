package report

import (
	"bytes"
	"html/template"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestHTMLMatchesTemplate renders report.html.tmpl, the page's reference,
// with html/template and wants the bytes HTML writes by hand, for every
// suite the tests know, hostile text included: the hand-written page must
// neither drift from the reference nor escape less than html/template.
func TestHTMLMatchesTemplate(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("report.html.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	tmpl := template.Must(template.New("report").Parse(string(src)))
	suites := map[string]Suite{"hostile": hostileSuite(), "chart": chartSuite(), "empty": {}, "odd": oddSuite()}
	for _, f := range fixtures {
		suites[f.name] = f.suite()
	}
	for name, s := range suites {
		var want bytes.Buffer
		if err := tmpl.Execute(&want, newPage(s)); err != nil {
			t.Fatalf("%s: html/template: %v", name, err)
		}
		got, err := HTML(s)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := cmp.Diff(want.String(), string(got)); diff != "" {
			t.Errorf("%s: the written page differs from report.html.tmpl (-template +written):\n%s", name, diff)
		}
	}
}

// oddSuite has the characters html/template treats specially in every
// field: NUL, quotes, plus, ampersand, bytes that are not UTF-8, and the
// noncharacters it leaves alone in attributes; a run that errored in a
// sweep, a warning with and without a place, and links beyond the chart's
// limit.
func oddSuite() Suite {
	odd := "a\x00b\"c'd+e&f<g>h\xffi\ufdd0j\ufffek"
	s := hostileSuite()
	for i := range s.Runs {
		r := &s.Runs[i]
		r.Scenario += odd
		r.Assertions[0].Description = odd
		r.Faults[0].Target = odd
		r.Warnings = append(r.Warnings, odd)
		r.Notes = append(r.Notes, "s.yaml:9:5: note: "+odd)
		for j := range 40 {
			r.Network.Links = append(r.Network.Links, Link{Src: odd + strings.Repeat("x", j), Dst: "gw", PacketsDelivered: int64(j), PacketsDropped: int64(j % 3)})
		}
	}
	s.Runs[0].Error = odd
	return s
}
