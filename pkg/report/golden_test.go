package report

import (
	"bytes"
	"testing"
)

// renderers are the three reports by file suffix.
var renderers = []struct {
	ext    string
	render func(Suite) ([]byte, error)
}{
	{"junit.xml", JUnit},
	{"summary.md", func(s Suite) ([]byte, error) { return Markdown(s) }},
	{"report.html", HTML},
}

func TestGolden(t *testing.T) {
	t.Parallel()
	for _, f := range fixtures {
		for _, r := range renderers {
			t.Run(f.name+"/"+r.ext, func(t *testing.T) {
				t.Parallel()
				got, err := r.render(f.suite())
				if err != nil {
					t.Fatalf("rendering %s: %v", r.ext, err)
				}
				golden(t, f.name+"."+r.ext+".golden", got)
			})
		}
	}
}

// TestDeterministic renders every report twice: the same suite must give
// the same bytes (no map order, no clock).
func TestDeterministic(t *testing.T) {
	t.Parallel()
	for _, f := range fixtures {
		for _, r := range renderers {
			t.Run(f.name+"/"+r.ext, func(t *testing.T) {
				t.Parallel()
				a, err := r.render(f.suite())
				if err != nil {
					t.Fatal(err)
				}
				for range 5 {
					b, err := r.render(f.suite())
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(a, b) {
						t.Fatalf("%s differs between two renderings of the same suite", r.ext)
					}
				}
			})
		}
	}
}
