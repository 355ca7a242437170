package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/xedgesim/simulate/pkg/deploy"
	"github.com/xedgesim/simulate/pkg/deploy/manifest"
)

// What deploy and verify show: the plan, progress, reports and step
// summaries. The verbs and the actions render through these alone.

// printPlan prints what deploy would do.
func printPlan(w io.Writer, file string, p *deploy.Plan) error {
	fmt.Fprintf(w, "%s: valid; dry run, nothing was contacted or changed\n", file)
	fmt.Fprintf(w, "image:    %s\n", p.Image)
	fmt.Fprintf(w, "service:  %s (restart %s, health %s within %s)\n", p.Service.Name, p.Service.Restart, p.Service.Health.Kind(), p.Service.Health.Timeout)
	order := "the new release checked beside the old one"
	if p.Rollout.Order == manifest.OrderStopFirst {
		order = "the old release stopped first"
	}
	fmt.Fprintf(w, "strategy: %s, %s (%s)\n", p.Strategy, p.Rollout.Order, order)
	fmt.Fprintf(w, "transfer: %s\n", p.Transfer)
	rollback := "a failed host is rolled back, and a stopped rollout also rolls back the hosts it updated"
	if !p.Rollout.Rollback {
		rollback = "rollback: false: a failed host is rolled back, hosts already updated stay updated"
	}
	fmt.Fprintf(w, "rollout:  canary %d, batches of %d, stop after %d failure(s); %s\n", p.Rollout.Canary, max(p.Rollout.Batch, 1), p.Rollout.MaxFailures, rollback)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WAVE\tHOST\tADDRESS\tUSER\tPLATFORM")
	for _, h := range p.Hosts {
		wave := fmt.Sprint(h.Wave)
		if h.Canary {
			wave += " (canary)"
		}
		addr, user := fmt.Sprintf("%s:%d", h.Address, h.Port), h.User
		if h.Local {
			addr, user = "(local engine)", "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", wave, h.Name, addr, user, orDetected(h.Platform))
	}
	return tw.Flush()
}

func orDetected(platform string) string {
	if platform == "" {
		return "(detected)"
	}
	return platform
}

// deployProgress prints the library's events as lines on stderr; a
// transfer is reported at every quarter.
type deployProgress struct {
	w    io.Writer
	mu   sync.Mutex
	last map[string]int64
}

func newDeployProgress(w io.Writer) *deployProgress {
	return &deployProgress{w: w, last: map[string]int64{}}
}

func (p *deployProgress) Report(e deploy.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e.Total > 0 && e.Message == "" {
		q := e.Bytes * 4 / e.Total
		if q == p.last[e.Host] && e.Bytes != e.Total {
			return
		}
		if e.Bytes == e.Total && p.last[e.Host] == 5 {
			return
		}
		p.last[e.Host] = q
		if e.Bytes == e.Total {
			p.last[e.Host] = 5
		}
		fmt.Fprintf(p.w, "%s: transfer: %s of %s (%d%%)\n", e.Host, pushBytes(e.Bytes), pushBytes(e.Total), e.Bytes*100/e.Total)
		return
	}
	if e.Step == "transfer" {
		p.last[e.Host] = -1
	}
	fmt.Fprintf(p.w, "%s: %s: %s\n", e.Host, e.Step, e.Message)
}

var _ deploy.Progress = (*deployProgress)(nil)

func shortDigest(d string) string {
	if d == "" {
		return "-"
	}
	if i := strings.Index(d, "sha256:"); i >= 0 && len(d) >= i+19 {
		return d[i : i+19]
	}
	return d
}

func printDeployReport(w io.Writer, rep *deploy.Report) {
	fmt.Fprintf(w, "deploy %s of %s\n", rep.DeployID, rep.Image)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tPLATFORM\tOLD DIGEST\tNEW DIGEST\tSENT\tTIME\tRESULT\tROLLED BACK")
	for _, h := range rep.Hosts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", h.Host, orDash(h.Platform), shortDigest(h.OldDigest), shortDigest(h.NewDigest),
			pushBytes(h.BytesSent), h.Duration.Round(100*time.Millisecond), hostResult(h), yesNo(h.RolledBack))
	}
	_ = tw.Flush() // output for the user: its Fprintf writes go unchecked too
}

// writeJSON writes verb's report as JSON.
func writeJSON(file, verb string, report any) error {
	b, err := json.MarshalIndent(report, "", "  ")
	if err != nil {
		return fmt.Errorf("writing the %s report: %w", verb, err)
	}
	// A report under a folder of its own (one per device job's artifact)
	// gets its folder.
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil { // #nosec G301 -- the report's folder, published like the report
		return fmt.Errorf("writing the %s report: %w", verb, err)
	}
	if err := os.WriteFile(file, append(b, '\n'), 0o644); err != nil { // #nosec G306 -- the deploy report (hosts, digests, results) is for CI to read
		return fmt.Errorf("writing the %s report: %w", verb, err)
	}
	return nil
}

// verifyReport is verify's JSON report.
type verifyReport struct {
	Image  string             `json:"image"`
	Passed bool               `json:"passed"`
	Hosts  []deploy.HostCheck `json:"hosts"`
}

func newVerifyReport(image string, checks []deploy.HostCheck) verifyReport {
	rep := verifyReport{Image: image, Passed: true, Hosts: checks}
	for _, c := range checks {
		rep.Passed = rep.Passed && c.OK()
	}
	return rep
}

func deploySummary(rep *deploy.Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### xedgesim deploy\n\n`%s` (deploy `%s`)\n\n", rep.Image, rep.DeployID)
	b.WriteString("| host | platform | old digest | new digest | sent | time | result | rolled back |\n|---|---|---|---|---:|---:|---|---|\n")
	for _, h := range rep.Hosts {
		fmt.Fprintf(&b, "| %s | %s | `%s` | `%s` | %s | %s | %s | %s |\n", h.Host, orDash(h.Platform), shortDigest(h.OldDigest), shortDigest(h.NewDigest),
			pushBytes(h.BytesSent), h.Duration.Round(100*time.Millisecond), hostResult(h), yesNo(h.RolledBack))
	}
	for _, h := range rep.Hosts {
		if h.Error != "" {
			fmt.Fprintf(&b, "\n**%s**: %s\n", h.Host, strings.ReplaceAll(h.Error, "\n", " "))
		}
	}
	return b.String()
}

func printChecks(w io.Writer, checks []deploy.HostCheck) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tRUNNING\tRESTARTS STABLE\tHEALTHY\tDIGEST\tRESULT")
	for _, c := range checks {
		result := "ok"
		if !c.OK() {
			result = "FAILED: " + strings.ReplaceAll(c.Problem, "\n", " ")
		}
		digest := shortDigest(c.Digest)
		if c.Digest != "" && !c.DigestMatches {
			digest += " (wrong)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.Host, yesNo(c.Running), yesNo(c.RestartsStable), yesNo(c.Healthy), digest, result)
	}
	_ = tw.Flush() // the check table is output only, like the lines above
}

func verifySummary(image string, checks []deploy.HostCheck) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### xedgesim verify\n\n`%s`\n\n| host | running | restarts stable | healthy | digest matches | problem |\n|---|---|---|---|---|---|\n", image)
	for _, c := range checks {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", c.Host, yesNo(c.Running), yesNo(c.RestartsStable), yesNo(c.Healthy), yesNo(c.DigestMatches),
			strings.ReplaceAll(orDash(c.Problem), "\n", " "))
	}
	return b.String()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// hostResult is a host's result, saying when the host was left as it was.
func hostResult(h deploy.HostReport) string {
	if h.Unchanged {
		return string(h.Result) + " (unchanged)"
	}
	if h.Switch > 0 {
		return fmt.Sprintf("%s (switch %s)", h.Result, h.Switch.Round(10*time.Millisecond))
	}
	return string(h.Result)
}
