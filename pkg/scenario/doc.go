// Package scenario loads xEdgeSim scenario files: it reads every field
// upstream reads, applies upstream's defaults and validation rules, and
// reports every mistake with its file, line and column.
//
// Load (or Parse, for bytes in memory) returns the Scenario, the warnings,
// and, when the file is invalid, an *Error listing every error; its
// ExitCode is 3. Nothing stops at the first mistake.
//
// Compatibility with upstream (rekrevs/xedgesim sim/config/scenario.py):
//
//   - Same sections, fields, defaults and coercions: numbers go through
//     int() or float() semantics (floats truncate into integer fields,
//     quoted numbers are accepted with a warning), and an explicit null for
//     duration_s or seed counts as missing.
//   - Stricter where upstream silently misbehaves: duplicate node ids, links
//     naming unknown nodes, negative latencies, NaN and infinities, and
//     booleans where numbers belong are errors.
//   - Unknown keys are ignored upstream; here they are warnings (errors under
//     WithStrict), with a suggestion when they look like a typo. Keys inside
//     docker:, config: and the ML configs are free-form, and top-level keys
//     starting with x- are ignored (a place for YAML anchors).
//   - Relative paths resolve against the scenario file's directory
//     (Scenario.Dir, Scenario.Resolve), not the working directory.
//   - Our extensions: implementation: process, config.command and
//     config.address (no port needed), per-link jitter_us, bandwidth_bps
//     and bidirectional, and report.csv.
//
// Schema returns the JSON Schema of the format; a test keeps it in step with
// the keys the loader knows (keys.go).
package scenario
