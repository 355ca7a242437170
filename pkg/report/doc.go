// Package report renders a run's results into files: summary.json now, and
// the JUnit, Markdown and HTML reports of the gate. Reports hold no
// wall-clock figure (those go to timing.json), so the same scenario and seed
// give byte-identical files.
package report
