package report

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The browser tests open report.html, and a page that renders summary.md's
// Mermaid blocks with mermaid.min.js, in headless Chromium, and check the
// charts on the screenshot. Install both with testdata/setup-browser.sh.
const (
	envTestbed     = "XEDGESIM_TESTBED"            // "1": a missing part fails the test
	envChromium    = "XEDGESIM_CHROMIUM"           // chromium binary, else found on PATH
	envMermaidDir  = "XEDGESIM_MERMAID_DIR"        // holds mermaid.min.js
	envScreenshots = "XEDGESIM_REPORT_SCREENSHOTS" // if set, screenshots are kept here
	mermaidDefault = "/var/cache/xedgesim/mermaid"
)

// need skips the test, or fails it on the test bed, naming what is missing.
func need(t *testing.T, missing []string) {
	t.Helper()
	if len(missing) == 0 {
		return
	}
	msg := fmt.Sprintf("missing %s (install with: bash pkg/report/testdata/setup-browser.sh)", strings.Join(missing, " and "))
	if os.Getenv(envTestbed) == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

func findChromium() (string, string) {
	if p := os.Getenv(envChromium); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Sprintf("chromium at %s=%s", envChromium, p)
		}
		return p, ""
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, ""
		}
	}
	return "", "chromium (Debian package chromium)"
}

func findMermaid() (string, string) {
	dir := os.Getenv(envMermaidDir)
	if dir == "" {
		dir = mermaidDefault
	}
	p := filepath.Join(dir, "mermaid.min.js")
	if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
		return "", "mermaid.min.js in " + dir
	}
	return p, ""
}

// browse runs headless Chromium on a file and returns its stdout (the DOM
// when dumping it). Every run gets its own profile and no network.
func browse(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--hide-scrollbars", "--force-device-scale-factor=1",
		"--user-data-dir=" + t.TempDir(),
	}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("running %s %s: %v\n%s", bin, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes()
}

func screenshot(t *testing.T, bin, page, name string, w, h int) image.Image {
	t.Helper()
	shot := filepath.Join(t.TempDir(), name)
	browse(t, bin, "--virtual-time-budget=20000", fmt.Sprintf("--window-size=%d,%d", w, h),
		"--screenshot="+shot, "file://"+page)
	b, err := os.ReadFile(shot)
	if err != nil {
		t.Fatalf("reading screenshot: %v", err)
	}
	if dir := os.Getenv(envScreenshots); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err == nil {
			os.WriteFile(filepath.Join(dir, name), b, 0o644)
		}
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decoding screenshot: %v", err)
	}
	return img
}

// colorArea is where a colour appears on a screenshot: how many pixels, and
// the box around them.
type colorArea struct {
	n    int
	box  image.Rectangle
	name string
}

// findColor counts the pixels within tol of hex on each channel.
func findColor(img image.Image, name, hex string, tol int) colorArea {
	var r0, g0, b0 int
	fmt.Sscanf(hex, "#%02x%02x%02x", &r0, &g0, &b0)
	a := colorArea{name: name}
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if abs(int(r>>8)-r0) <= tol && abs(int(g>>8)-g0) <= tol && abs(int(b>>8)-b0) <= tol {
				if a.n == 0 {
					a.box = image.Rect(x, y, x+1, y+1)
				} else {
					a.box = a.box.Union(image.Rect(x, y, x+1, y+1))
				}
				a.n++
			}
		}
	}
	return a
}

// blend is hex drawn with opacity a on white, as the fault windows are.
func blend(hex string, a float64) string {
	var r, g, b int
	fmt.Sscanf(hex, "#%02x%02x%02x", &r, &g, &b)
	mix := func(c int) int { return int(255 - a*float64(255-c) + 0.5) }
	return fmt.Sprintf("#%02x%02x%02x", mix(r), mix(g), mix(b))
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// chartSuite is a failing run with faults and a lossy link: every chart
// element has something to draw.
func chartSuite() Suite {
	s := sweepSuite()
	r := s.Runs[1]
	r.Network.Links = append(r.Network.Links, Link{Src: "sensor3", Dst: "gateway1", PacketsSent: 200, PacketsDelivered: 120, PacketsDropped: 80})
	return Suite{Verdict: Fail, Runs: []Run{r}}
}

func TestBrowserHTML(t *testing.T) {
	t.Parallel()
	bin, miss := findChromium()
	need(t, nonEmpty(miss))
	out, err := HTML(chartSuite())
	if err != nil {
		t.Fatalf("HTML() = %v", err)
	}
	page := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(page, out, 0o644); err != nil {
		t.Fatal(err)
	}

	dom := string(browse(t, bin, "--dump-dom", "file://"+page))
	for _, id := range []string{`id="chart-latency-1"`, `id="chart-links-1"`, `class="line-avg"`, `class="fault"`} {
		if !strings.Contains(dom, id) {
			t.Errorf("rendered DOM has no %s", id)
		}
	}

	img := screenshot(t, bin, page, "report-html.png", 1100, 1500)
	width := img.Bounds().Dx()
	// The latency lines run across the time axis; the fault windows are
	// shaded; the bars show delivered and dropped messages.
	checks := []struct {
		area     colorArea
		minCount int
		minWidth int
	}{
		{findColor(img, "average latency line", colorAvg, 30), 600, width / 2},
		{findColor(img, "maximum latency line", colorMax, 30), 600, width / 2},
		{findColor(img, "fault window shading", blend(colorFault, faultOpacity), 6), 3000, 0},
		{findColor(img, "delivered bars", colorDelivered, 20), 5000, width / 3},
		{findColor(img, "dropped bars", colorDropped, 20), 800, 0},
	}
	for _, c := range checks {
		t.Logf("%s: %d pixels in %v", c.area.name, c.area.n, c.area.box)
		if c.area.n < c.minCount {
			t.Errorf("screenshot shows %d pixels of the %s, want at least %d", c.area.n, c.area.name, c.minCount)
		}
		if c.area.box.Dx() < c.minWidth {
			t.Errorf("the %s spans %d pixels across, want at least %d", c.area.name, c.area.box.Dx(), c.minWidth)
		}
	}
}

var mermaidBlock = regexp.MustCompile("(?s)```mermaid\n(.*?)```")

func TestBrowserMermaid(t *testing.T) {
	t.Parallel()
	bin, miss1 := findChromium()
	js, miss2 := findMermaid()
	need(t, nonEmpty(miss1, miss2))
	md, err := Markdown(chartSuite())
	if err != nil {
		t.Fatalf("Markdown() = %v", err)
	}
	blocks := mermaidBlock.FindAllStringSubmatch(string(md), -1)
	if len(blocks) != 2 {
		t.Fatalf("summary.md has %d mermaid blocks, want 2", len(blocks))
	}

	// A page that renders the blocks the way GitHub does: mermaid from a
	// local file, each block in its own element, a marker when done.
	dir := t.TempDir()
	script, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "mermaid.min.js"), script, 0o644); err != nil {
		t.Fatal(err)
	}
	var page strings.Builder
	page.WriteString("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><script src=\"mermaid.min.js\"></script></head><body style=\"margin:0;width:900px\">\n")
	for i, b := range blocks {
		fmt.Fprintf(&page, "<pre class=\"mermaid\" id=\"chart-%d\">%s</pre>\n", i, html.EscapeString(b[1]))
	}
	page.WriteString(`<script>
mermaid.initialize({startOnLoad: false});
mermaid.run({querySelector: ".mermaid"}).then(
  () => document.body.setAttribute("data-rendered", "ok"),
  (e) => document.body.setAttribute("data-rendered", "error: " + e));
</script></body></html>`)
	path := filepath.Join(dir, "mermaid.html")
	if err := os.WriteFile(path, []byte(page.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	dom := string(browse(t, bin, "--virtual-time-budget=20000", "--dump-dom", "file://"+path))
	if !strings.Contains(dom, `data-rendered="ok"`) {
		m := regexp.MustCompile(`data-rendered="[^"]*"`).FindString(dom)
		t.Fatalf("mermaid did not render the charts (%s)", m)
	}
	if strings.Contains(dom, "Syntax error") {
		t.Errorf("mermaid reports a syntax error in summary.md's charts")
	}
	if n := strings.Count(dom, `aria-roledescription="xychart"`); n != len(blocks) {
		t.Errorf("rendered DOM has %d xychart SVGs, want %d", n, len(blocks))
	}

	img := screenshot(t, bin, path, "summary-mermaid.png", 900, 1100)
	for _, c := range []struct {
		name, hex string
		min       int
	}{
		{"average latency line", colorAvg, 300},
		{"maximum latency line", colorMax, 300},
		{"delivered bars", colorDelivered, 3000},
		{"dropped bars", colorDropped, 300},
	} {
		a := findColor(img, c.name, c.hex, 30)
		t.Logf("%s: %d pixels in %v", c.name, a.n, a.box)
		if a.n < c.min {
			t.Errorf("screenshot shows %d pixels of the %s, want at least %d: the init palette was not applied or the chart is empty", a.n, c.name, c.min)
		}
	}
}

func nonEmpty(s ...string) []string {
	var out []string
	for _, x := range s {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}
