// Package actionmeta loads the metadata of this repository's GitHub Actions
// (action.yml) and example workflows, and checks them for the mistakes that
// pass under act and a unit test but break on a real runner.
//
// [Load] and [LoadWorkflow] read the files with every key's line, in file
// order. [Check] and [CheckWorkflow] return the [Problem]s they find, each
// with its file, line, [Rule] and subject (the input, output, step or
// reference at fault), so a test can assert exactly which mistake was found.
//
// For an action, [Check] requires:
//
//   - a name, a description and a runs.using that the runner knows; branding
//     (icon and a Marketplace color) on the repository's root action, the one
//     the Marketplace lists;
//   - a description on every input and output, and input names in one style,
//     lower-case words joined by hyphens (the binary reads "fail-on-warning"
//     from INPUT_FAIL-ON-WARNING);
//   - for a composite action, that every input reaches some step: an env
//     variable whose value references ${{ inputs.<name> }} (normally
//     INPUT_<NAME>, which is what the binary reads) or a with: value of a
//     uses: step. GitHub does not pass INPUT_* to composite steps
//     (actions/runner#665); act does (nektos/act#2874), so only a static
//     check catches a missing mapping;
//   - that an INPUT_<NAME> variable names a declared input and carries that
//     input, and that no env or with: value references an undeclared input;
//   - that no run: script interpolates an expression that reads inputs, or
//     github.event and github.head_ref: such text can come from a pull
//     request, and the runner pastes it into the script before the shell
//     parses it (script injection). Pass it through env: instead;
//   - a shell: on every run: step (composite steps have no default), and
//     either run: or uses: on every step, and unique step ids;
//   - for a composite action, a value: on every output that reads
//     steps.<id>.outputs.<name> of a step that exists;
//   - every uses: pinned to a full 40-hex commit (a tag can be moved to other
//     code, a commit cannot) with the version it stands for in a comment on
//     its line (# v6.0.2), which Dependabot and Renovate update with the
//     pin; a local ./ action, and a docker:// image pinned by @sha256:
//     digest, are fine;
//   - no run: script with a credential in a URL's user-info
//     (https://x-access-token:$TOKEN@...): it would be in the command's
//     arguments.
//
// For a workflow, [CheckWorkflow] requires pinned and commented uses:, this
// repository's own ([Repository]@<commit> # v1.2.3) included: the example
// jobs that use them hold SSH keys and write tokens, and whoever moves a tag
// chooses the code that runs with them. It also requires permissions: at
// the top or on every job and never write-all, an environment: on every
// job that can write contents (its required reviewers and branch rule gate
// what is pushed), packages: read on a job that deploys or verifies with
// this repository's actions (a private ghcr.io image is pulled with the
// job's token), no credential in a URL in a run: script,
// no pull_request_target trigger (it runs with the base repository's token
// and secrets next to the pull request's code), no secrets other than
// GITHUB_TOKEN in a workflow that pull requests trigger, no secret in
// the workflow-level env: (it would reach every job and step; secrets go to
// the step that needs them), persist-credentials: false on every
// actions/checkout (else the token stays in .git for every later step), and
// no github.event or github.head_ref interpolated into a run: script.
package actionmeta
