package gha

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"unicode/utf8"
)

// SummaryLimit is the most bytes GitHub accepts in one step's summary. Over
// it, the runner drops the whole summary and fails the upload with an error,
// so [Runner.AddStepSummary] truncates rather than exceed it.
const SummaryLimit = 1 << 20

// truncatedNote ends a truncated summary. It starts with a blank line so that
// it never continues a table or a list.
const truncatedNote = "\n\n**Summary truncated** to fit GitHub's step summary size limit.\n"

// TruncateSummary returns markdown unchanged if it fits in limit bytes, and
// otherwise its longest prefix of whole lines that fits together with a note
// saying it was truncated. A first line longer than the room is cut at a
// UTF-8 boundary. It returns "" if not even the note fits.
func TruncateSummary(markdown string, limit int) string {
	if len(markdown) <= limit {
		return markdown
	}
	budget := limit - len(truncatedNote)
	if budget < 0 {
		return ""
	}
	cut := markdown[:budget]
	if i := strings.LastIndexByte(cut, '\n'); i >= 0 {
		// Whole lines only: half a table row renders as garbage.
		cut = cut[:i+1]
	} else {
		for budget > 0 && !utf8.RuneStart(markdown[budget]) {
			budget--
		}
		cut = markdown[:budget]
	}
	return cut + truncatedNote
}

// AddStepSummary appends markdown, ended by a newline, to the step summary
// (the file named by GITHUB_STEP_SUMMARY). Summaries added by one step
// accumulate; if this one would take the file over [SummaryLimit] it is
// truncated with [TruncateSummary], and if nothing fits any more it returns
// an error. Without GITHUB_STEP_SUMMARY it does nothing.
func (r *Runner) AddStepSummary(markdown string) error {
	const fileEnv = "GITHUB_STEP_SUMMARY"
	path := r.getenv(fileEnv)
	if path == "" || markdown == "" {
		return nil
	}
	if !strings.HasSuffix(markdown, "\n") {
		markdown += "\n"
	}

	// Size check and append under one lock, so concurrent calls cannot
	// both fit the same free space.
	r.mu.Lock()
	defer r.mu.Unlock()
	var used int64
	switch fi, err := os.Stat(path); {
	case err == nil:
		used = fi.Size()
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("adding step summary: checking %s: %w", fileEnv, err)
	}
	if room := SummaryLimit - used; int64(len(markdown)) > room {
		markdown = TruncateSummary(markdown, int(max(room, 0)))
		if markdown == "" {
			return fmt.Errorf("adding step summary: %s already holds %d of its %d bytes", fileEnv, used, SummaryLimit)
		}
	}
	if err := appendLocked(fileEnv, path, markdown); err != nil {
		return fmt.Errorf("adding step summary: %w", err)
	}
	return nil
}
