// Package scenario loads xEdgeSim scenario files: it reads every field
// upstream reads, applies upstream's defaults and validation rules, and
// reports every mistake with its file, line and column.
package scenario
