package fleet

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"
)

// Headline is the status in one line: complete, stopped (and why), or how
// far the rollout got.
func (s *Status) Headline() string {
	switch {
	case s.Stopped:
		return s.Reason
	case s.Done:
		if n := len(s.OldDigest()); n > 0 {
			return fmt.Sprintf("every wave ran; %d device(s) still run the old digest", n)
		}
		return "the rollout is complete"
	}
	return "the rollout goes on after " + s.Through
}

// OldDigest are the devices that still run what they ran before the
// rollout: offline, not started, rolled back, or failed without changing.
func (s *Status) OldDigest() []Device {
	var out []Device
	for _, d := range s.Devices {
		if d.State != Updated && d.State != Unchanged && (d.Digest == "" || d.Digest != s.Digest) {
			out = append(out, d)
		}
	}
	return out
}

// counts is how many devices are in each state, in the states' order.
func (s *Status) counts() string {
	n := map[State]int{}
	for _, d := range s.Devices {
		n[d.State]++
	}
	var parts []string
	for _, st := range []State{Updated, Unchanged, RolledBack, Failed, Offline, NotStarted} {
		if n[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[st], st))
		}
	}
	return strings.Join(parts, ", ")
}

// Text is the status for a terminal: the headline, a line per device,
// and the devices still on their old digest.
func (s *Status) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "fleet: %s: %s\n", s.Image, s.Headline())
	fmt.Fprintf(&b, "fleet: %d device(s): %s; %d counted failure(s), max_failures %d, offline: %s\n", len(s.Devices), s.counts(), s.Failures, s.MaxFailures, s.Offline)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DEVICE\tWAVE\tSTATE\tDIGEST\tERROR")
	for _, d := range s.Devices {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", d.Host, d.Wave, d.State, orDash(short(d.Digest)), orDash(oneLine(d.Error)))
	}
	_ = tw.Flush() // a strings.Builder does not fail
	if old := s.OldDigest(); len(old) > 0 {
		var names []string
		for _, d := range old {
			names = append(names, d.Host+" ("+string(d.State)+")")
		}
		fmt.Fprintf(&b, "still on the old digest: %s\n", strings.Join(names, ", "))
	}
	return b.String()
}

// Markdown is the status for the step summary: the headline, which device
// runs which digest, the waves' timeline, and the devices still on their
// old digest.
func (s *Status) Markdown() string {
	var b strings.Builder
	icon := "🟢"
	switch {
	case s.Stopped:
		icon = "🔴"
	case !s.Done:
		icon = "🟡"
	}
	fmt.Fprintf(&b, "## %s Fleet rollout: %s\n\n", icon, s.Headline())
	fmt.Fprintf(&b, "`%s` to %d device(s): %s. Counted failures: %d (max_failures %d; offline devices %s).\n\n",
		s.Image, len(s.Devices), s.counts(), s.Failures, s.MaxFailures, map[bool]string{true: "count", false: "do not count"}[s.Offline == "fail"])
	b.WriteString("| device | runner | wave | state | runs | was | platform | error |\n|---|---|---|---|---|---|---|---|\n")
	for _, d := range s.Devices {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", d.Host, d.Runner, d.Wave, stateCell(d.State),
			code(short(d.Digest)), code(short(d.OldDigest)), orDash(d.Platform), orDash(cell(d.Error)))
	}
	b.WriteString("\n### Waves\n\n| wave | devices | started | took | updated | failed or rolled back | offline | not started |\n|---|---|---|---|---|---|---|---|\n")
	for _, w := range s.Waves {
		started, took := "-", "-"
		if !w.Started.IsZero() {
			started = w.Started.UTC().Format("15:04:05")
			took = w.Finished.Sub(w.Started).Round(time.Second).String()
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %d | %d | %d | %d |\n", w.Name, w.Devices, started, took,
			w.States[Updated]+w.States[Unchanged], w.States[Failed]+w.States[RolledBack], w.States[Offline], w.States[NotStarted])
	}
	if old := s.OldDigest(); len(old) > 0 {
		b.WriteString("\n### Still on the old digest\n\n")
		for _, d := range old {
			fmt.Fprintf(&b, "- %s (%s, %s)\n", d.Host, d.State, d.Wave)
		}
	}
	if len(s.Rollback) > 0 {
		b.WriteString("\n### To put back\n\n")
		for _, j := range s.Rollback {
			fmt.Fprintf(&b, "- %s (updated in %s)\n", j.Host, j.Wave)
		}
	}
	return b.String()
}

func stateCell(s State) string {
	switch s {
	case Updated, Unchanged:
		return "✅ " + string(s)
	case RolledBack:
		return "↩️ " + string(s)
	case Failed:
		return "❌ " + string(s)
	case Offline:
		return "📴 " + string(s)
	}
	return "⏸️ " + string(s)
}

// short is sha256: and the first 12 hex digits, as the deploy summary
// shows digests.
func short(d string) string {
	if len(d) > 19 {
		return d[:19]
	}
	return d
}

func code(s string) string {
	if s == "" {
		return "-"
	}
	return "`" + s + "`"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// cell keeps an error on one table row.
func cell(s string) string {
	return strings.ReplaceAll(oneLine(s), "|", "\\|")
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
