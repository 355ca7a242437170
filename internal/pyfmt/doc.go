// Package pyfmt writes floats and CSV rows byte for byte as CPython does,
// so that the simulator's CSV files can equal the upstream Python
// simulator's (and hash the same).
//
//   - Repr and AppendRepr give Python's repr(float), which str(), print()
//     and csv.writer also use.
//   - Format2 and AppendFormat2 give f"{x:.2f}".
//   - AppendCSVRow and CSVWriter give csv.writer's output with the default
//     dialect, which encoding/csv does not: it quotes fields with a leading
//     space, and it writes a lone empty field as a blank line.
//
// The golden outputs in testdata come from CPython 3.11 via
// testdata/gen_golden.py; the tests do not need Python.
package pyfmt
