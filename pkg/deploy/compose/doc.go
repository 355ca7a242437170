// Package compose checks a compose file as the host's compose tool would
// load it, before any host is touched, without linking compose-go.
//
// compose-go validates with a JSON Schema library whose init compiles five
// schema drafts, milliseconds of every xedgesim start-up. This package keeps
// a copy of the same Compose Specification schema (compose-spec.json, from
// compose-go v2.16.2; see NOTICE) and a small validator for exactly the
// keywords that schema uses, compiled on first use. Around it, [Check] does
// what compose-go's loader does that can reject a file:
//
//   - ${VAR} interpolation, with the loader's casts of strings to numbers
//     and booleans at the paths it casts;
//   - the loader's one-entry-per-key lists (a repeated label is no error);
//   - the schema;
//   - the values the schema lets through as strings but the loader parses:
//     durations, byte sizes, cpus, short port and volume syntax;
//   - the consistency checks: services that name undefined networks,
//     volumes, secrets, configs or services, dependency cycles, and so on.
//
// Every problem points at the YAML node it concerns. Tests check the
// verdict against compose-go's loader over a corpus of files, and that the
// schema copy is compose-go's own.
package compose
