// Package gha is the one layer of xedgesim that talks to the GitHub Actions
// runner: it reads action inputs, writes outputs, environment variables and
// the step summary through the runner's [environment files], and prints
// workflow commands (annotations, masks, groups, debug lines).
//
// Input names and the formatting and escaping of commands follow
// @actions/core (as github.com/sethvargo/go-githubactions does; a few lines
// here, since that library links html/template into every start). Beyond
// them:
//
//   - Environment files are written with a random heredoc delimiter
//     (ghadelimiter_<32 hex digits>, fresh for every value, as @actions/core
//     does). A name or value that contains the delimiter, or a name that would
//     change how the runner splits the file, is rejected with an error, so
//     untrusted text such as a pull request title cannot forge other outputs.
//   - Nothing panics. Write failures are returned as errors, and an unset
//     GITHUB_OUTPUT, GITHUB_ENV or GITHUB_STEP_SUMMARY degrades as described
//     below.
//   - Required, boolean, multiline and list inputs are validated here, because
//     the runner does not enforce "required" and has no typed inputs. Bad
//     inputs are reported as *[InputError], which exits with code 3.
//
// # Inside and outside Actions
//
// The same binary runs on a laptop. A [Runner] decides by GITHUB_ACTIONS=true
// (see [Runner.InActions]) and by which environment files are set:
//
//   - Annotations ([Runner.Error], [Runner.Warning], [Runner.Notice]) become
//     "::error file=...,line=...::message" commands in Actions, and plain lines
//     such as "scenario.yaml:12:5: error: message" on stderr elsewhere.
//   - [Runner.AddMask] prints nothing outside Actions: there is no runner to
//     mask the value, and echoing it would show the secret on the terminal.
//   - [Runner.SetOutput] without GITHUB_OUTPUT prints the output to the
//     writer instead, in the environment-file format ("name=value", or a
//     heredoc for multiline values), so a local run still shows its results.
//   - [Runner.SetEnv] without GITHUB_ENV and [Runner.AddStepSummary] without
//     GITHUB_STEP_SUMMARY do nothing: there is no later step to read them.
//
// Annotations, debug lines and groups drop write errors, as the log package
// does; every method that changes state for the runner (outputs, environment,
// summary, masks) returns them.
//
// A Runner is safe for concurrent use; each command and each environment-file
// record is written whole.
//
// [environment files]: https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#environment-files
package gha
