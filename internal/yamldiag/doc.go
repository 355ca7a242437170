// Package yamldiag reads YAML with positions and reports what is wrong with
// it the way a compiler does, one line per problem:
//
//	deploy.yaml:4:1: error: unknown key "rolout" in the manifest (did you mean rollout?)
//
// It is shared by every file format xedgesim reads (scenarios, deploy
// manifests, action metadata), so each format reports its mistakes alike.
//
// A [Decoder] parses one file ([Decoder.Document]), turning syntax errors,
// text that is not UTF-8 and extra documents into [Diagnostic]s with the
// file, line and column. Its getters ([Decoder.String], [Decoder.Int],
// [Decoder.Float], [Decoder.Bool], [Decoder.Duration], [Decoder.List],
// [Decoder.Map]) read one value each and report, at the value, what was
// found instead; [Decoder.CheckKeys] reports unknown keys with a "did you
// mean" suggestion from [Suggest]. Nothing stops at the first mistake:
// [Decoder.Result] returns every warning and, when there are errors, an
// [*Error] listing them in file order, whose exit code is 3. A decoder
// keeps the first 100 errors and 100 warnings and counts the rest in one
// last line of each, so a generated file with a mistake on every line
// costs neither gigabytes nor as many lines of output.
//
// Aliases can make a small file expand into a huge tree ("billion laughs");
// every value the decoder visits spends one unit of a budget proportional to
// the file's size, so such a file is an error, not an out-of-memory kill.
//
// The package prints nothing and imports only the standard library and
// go.yaml.in/yaml/v3.
package yamldiag
