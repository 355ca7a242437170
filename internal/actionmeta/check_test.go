package actionmeta

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// header is a valid start of a composite action with one input, x: eight
// lines, so that a case's steps, after its leading blank line, start on
// line 10.
const header = `name: t
description: d
inputs:
  x:
    description: an input
runs:
  using: composite
  steps:
`

func TestCheck(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		yaml string
		root bool
		want []Problem
	}{{
		name: "env mapping",
		yaml: header + `
    - run: echo "$INPUT_X"
      shell: bash
      env: {INPUT_X: "${{ inputs.x }}"}
`,
	}, {
		name: "any env name carries the input",
		yaml: header + `
    - run: echo "$X"
      shell: bash
      env: {X: "${{ inputs.x }}"}
`,
	}, {
		name: "with: of a uses: step carries the input",
		yaml: header + `
    - uses: ./local
      with: {value: "${{ inputs.x }}"}
`,
	}, {
		name: "input names are case-insensitive in expressions",
		yaml: header + `
    - run: echo "$INPUT_X"
      shell: bash
      env: {INPUT_X: "${{ inputs.X }}"}
`,
	}, {
		name: "a reference in if: maps nothing",
		yaml: header + `
    - run: echo hi
      shell: bash
      if: inputs.x == 'true'
`,
		want: []Problem{{Line: 4, Rule: RuleInputUnmapped, Subject: "x"}},
	}, {
		name: "env written as one expression maps nothing",
		yaml: header + `
    - run: echo hi
      shell: bash
      env: ${{ fromJSON('{}') }}
`,
		want: []Problem{{Line: 4, Rule: RuleInputUnmapped, Subject: "x"}},
	}, {
		name: "bracket form in a script",
		yaml: header + `
    - run: |
        echo one
        echo ${{ inputs['x'] }}
      shell: bash
      env: {INPUT_X: "${{ inputs.x }}"}
`,
		want: []Problem{{Line: 12, Rule: RuleRunInput, Subject: "x"}},
	}, {
		name: "the whole inputs context in a script",
		yaml: header + `
    - run: echo '${{ toJSON(inputs) }}'
      shell: bash
      env: {INPUT_X: "${{ inputs.x }}"}
`,
		want: []Problem{{Line: 10, Rule: RuleRunInput, Subject: "inputs"}},
	}, {
		name: "text outside expressions and other contexts are fine in scripts",
		yaml: header + `
    - run: |
        # inputs.x reaches us as $INPUT_X
        echo "${{ github.action_path }} ${{ github.event_name }} ${{ steps.a.outputs.b }} $INPUT_X"
      shell: bash
      env: {INPUT_X: "${{ inputs.x }}"}
`,
	}, {
		name: "head_ref in a script",
		yaml: header + `
    - id: greet
      run: echo "${{ github.head_ref }}"
      shell: bash
      env: {INPUT_X: "${{ inputs.x }}"}
`,
		want: []Problem{{Line: 11, Rule: RuleRunUntrusted, Subject: "greet"}},
	}, {
		name: "uses: pins",
		yaml: header + `
    - uses: ./local
      with: {x: "${{ inputs.x }}"}
    - uses: actions/cache@0057852bfaa89a56745cba8c7296529d2fc39830 # v4.2.3
    - uses: actions/cache/restore@0057852bfaa89a56745cba8c7296529d2fc39830 # v4.2.3
    - uses: actions/cache@0057852
    - uses: actions/cache
    - uses: xedgesim/simulate/actions/build@v1
    - uses: docker://alpine@sha256:0000000000000000000000000000000000000000000000000000000000000000
    - uses: docker://alpine:3
    - uses: actions/cache@0057852bfaa89a56745cba8c7296529d2fc39830
    - uses: actions/cache@0057852bfaa89a56745cba8c7296529d2fc39830 #
`,
		want: []Problem{
			{Line: 14, Rule: RuleUnpinned, Subject: "actions/cache@0057852"},
			{Line: 15, Rule: RuleUnpinned, Subject: "actions/cache"},
			{Line: 16, Rule: RuleUnpinned, Subject: "xedgesim/simulate/actions/build@v1"},
			{Line: 18, Rule: RuleUnpinned, Subject: "docker://alpine:3"},
			// A pin without the version it stands for.
			{Line: 19, Rule: RulePinComment, Subject: "actions/cache@0057852bfaa89a56745cba8c7296529d2fc39830"},
			{Line: 20, Rule: RulePinComment, Subject: "actions/cache@0057852bfaa89a56745cba8c7296529d2fc39830"},
		},
	}, {
		name: "steps without run or uses, with both, and a reused id",
		yaml: header + `
    - id: a
      name: nothing
    - id: a
      run: echo
      shell: bash
      uses: ./local
      with: {x: "${{ inputs.x }}"}
`,
		want: []Problem{
			{Line: 10, Rule: RuleStep, Subject: "a"},
			{Line: 12, Rule: RuleStep, Subject: "a"},
			{Line: 12, Rule: RuleStep, Subject: "a"},
		},
	}, {
		name: "input naming",
		yaml: `name: t
description: d
inputs:
  dry_run: {description: d}
  dryRun: {description: d}
  dry-run: {description: d}
  v2: {description: d}
runs: {using: node24, main: index.js}
`,
		want: []Problem{
			{Line: 4, Rule: RuleInputName, Subject: "dry_run"},
			{Line: 5, Rule: RuleInputName, Subject: "dryRun"},
		},
	}, {
		name: "docker and JavaScript actions get their inputs from the runner",
		yaml: `name: t
description: d
inputs:
  x: {description: d}
outputs:
  y: {description: d}
runs: {using: docker, image: Dockerfile}
`,
	}, {
		name: "root action branding",
		root: true,
		yaml: `name: t
description: d
branding: {icon: activity, color: pink}
runs: {using: docker, image: Dockerfile}
`,
		want: []Problem{{Line: 3, Rule: RuleBranding, Subject: "branding.color"}},
	}, {
		name: "a sub-action needs no branding",
		yaml: `name: t
description: d
runs: {using: docker, image: Dockerfile}
`,
	}, {
		name: "metadata",
		yaml: `inputs:
  x: {}
runs: {using: node12}
`,
		want: []Problem{
			{Line: 1, Rule: RuleMetadata, Subject: "name"},
			{Line: 1, Rule: RuleMetadata, Subject: "description"},
			{Line: 2, Rule: RuleInputDescription, Subject: "x"},
			{Line: 3, Rule: RuleMetadata, Subject: "runs.using"},
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, err := Parse([]byte(tc.yaml), "action.yml")
			if err != nil {
				t.Fatalf("Parse() = %v", err)
			}
			a.Root = tc.root
			got := Check(a)
			opts := cmp.Options{cmpopts.IgnoreFields(Problem{}, "File", "Message"), cmpopts.EquateEmpty()}
			if diff := cmp.Diff(tc.want, got, opts); diff != "" {
				t.Errorf("Check() mismatch (-want +got):\n%s\nproblems:\n%s", diff, render(got))
			}
		})
	}
}

func TestCheckWorkflow(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		yaml string
		want []Problem
	}{{
		name: "every job sets its permissions",
		yaml: `on: [push, pull_request]
jobs:
  a:
    permissions: {contents: read}
    steps:
      - uses: xedgesim/simulate@0057852bfaa89a56745cba8c7296529d2fc39830 # v1.2.3
  b:
    permissions: read-all
    steps: [{run: echo}]
`,
	}, {
		name: "a job without permissions",
		yaml: `on: push
jobs:
  a:
    permissions: {}
    steps: [{run: echo}]
  b:
    steps: [{run: echo}]
`,
		want: []Problem{{Line: 6, Rule: RulePermissions, Subject: "b"}},
	}, {
		name: "pull_request_target in any form",
		yaml: `on:
  - push
  - pull_request_target
permissions: {contents: read}
jobs:
  a: {steps: [{run: echo}]}
`,
		want: []Problem{{Line: 3, Rule: RulePullRequestTarget, Subject: "pull_request_target"}},
	}, {
		name: "reusable workflows are pinned too",
		yaml: `on: push
permissions: {contents: read}
jobs:
  a: {uses: octo/wf/.github/workflows/x.yml@main}
  b: {uses: xedgesim/simulate/.github/workflows/x.yml@v1}
  c: {uses: ./.github/workflows/x.yml}
  d:
    uses: octo/wf/.github/workflows/x.yml@0057852bfaa89a56745cba8c7296529d2fc39830 # v2.0.0
`,
		want: []Problem{
			{Line: 4, Rule: RuleUnpinned, Subject: "octo/wf/.github/workflows/x.yml@main"},
			// This repository's own references are no exception.
			{Line: 5, Rule: RuleUnpinned, Subject: "xedgesim/simulate/.github/workflows/x.yml@v1"},
		},
	}, {
		name: "a job that writes contents runs behind an environment",
		yaml: `on: workflow_dispatch
permissions: {contents: read}
jobs:
  tag:
    permissions: {contents: write}
    steps: [{run: git push}]
  release:
    permissions: {contents: write}
    environment: release
    steps: [{run: git push}]
  named:
    permissions: {contents: write}
    environment: {name: release, url: "https://example.com"}
    steps: [{run: git push}]
  packages:
    permissions: {packages: write}
    steps: [{run: echo}]
`,
		want: []Problem{{Line: 4, Rule: RuleEnvironment, Subject: "tag"}},
	}, {
		name: "a token in a URL",
		yaml: `on: push
permissions: {contents: read}
jobs:
  a:
    steps:
      - name: push
        run: |
          git push "https://x-access-token:${GH_TOKEN}@github.com/o/r.git" v1
      - run: git clone https://$TOKEN@example.com/r.git
      - run: curl -u "u:${{ secrets.T }}" https://example.com/a@b
      - run: git push https://${{ secrets.T }}@github.com/o/r
      - run: git clone https://github.com/o/r.git
`,
		want: []Problem{
			{Line: 8, Rule: RuleCredentialURL, Subject: "push"},
			{Line: 9, Rule: RuleCredentialURL, Subject: "line 9"},
			{Line: 11, Rule: RuleCredentialURL, Subject: "line 11"},
		},
	}, {
		name: "deploying needs packages: read",
		yaml: `on: workflow_dispatch
permissions: {contents: read}
jobs:
  a:
    steps:
      - uses: xedgesim/simulate/actions/deploy@0057852bfaa89a56745cba8c7296529d2fc39830 # v1.2.3
      - uses: xedgesim/simulate/actions/verify@0057852bfaa89a56745cba8c7296529d2fc39830 # v1.2.3
  b:
    permissions: {contents: read, packages: read}
    steps:
      - uses: xedgesim/simulate/actions/verify@0057852bfaa89a56745cba8c7296529d2fc39830 # v1.2.3
  c:
    steps:
      - uses: xedgesim/simulate@0057852bfaa89a56745cba8c7296529d2fc39830 # v1.2.3
`,
		want: []Problem{{Line: 6, Rule: RulePackages, Subject: "a"}},
	}, {
		name: "secrets only where pull requests do not trigger",
		yaml: `on: {push: {tags: ['v*']}}
permissions: {contents: read}
jobs:
  a:
    steps:
      - run: echo
        env: {T: "${{ secrets.DEPLOY_KEY }}"}
`,
	}, {
		name: "secrets on pull requests",
		yaml: `on: pull_request
permissions: {contents: read}
jobs:
  a:
    steps:
      - uses: ./x
        with:
          token: ${{ secrets.GITHUB_TOKEN }}
          key: ${{ secrets['DEPLOY_KEY'] }}
          all: ${{ toJSON(secrets) }}
`,
		want: []Problem{
			{Line: 9, Rule: RuleSecrets, Subject: "deploy_key"},
			{Line: 10, Rule: RuleSecrets, Subject: "secrets"},
		},
	}, {
		name: "no trigger and no jobs",
		yaml: `name: empty
`,
		want: []Problem{
			{Line: 1, Rule: RuleMetadata, Subject: "on"},
			{Line: 1, Rule: RuleMetadata, Subject: "jobs"},
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w, err := ParseWorkflow([]byte(tc.yaml), "wf.yml")
			if err != nil {
				t.Fatalf("ParseWorkflow() = %v", err)
			}
			got := CheckWorkflow(w)
			opts := cmp.Options{cmpopts.IgnoreFields(Problem{}, "File", "Message"), cmpopts.EquateEmpty()}
			if diff := cmp.Diff(tc.want, got, opts); diff != "" {
				t.Errorf("CheckWorkflow() mismatch (-want +got):\n%s\nproblems:\n%s", diff, render(got))
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, yaml, want string
	}{
		{"not YAML", "name: [", "parsing action.yml: yaml:"},
		{"empty", "", "parsing action.yml: the file is empty"},
		{"a list at the top", "- a\n", "want a mapping at the top"},
		{"inputs as a list", "inputs: [a, b]\n", "line 1: inputs: want a mapping, found a list"},
		{"steps as a mapping", "runs: {steps: {a: b}}\n", "line 1: runs.steps: want a list, found a mapping"},
		{"required not a boolean", "inputs: {x: {required: maybe}}\n", `line 1: inputs.x.required: "maybe" is not a boolean`},
		{"env value a mapping", "runs: {steps: [{env: {A: {b: c}}}]}\n", "runs.steps[0].env.A: want a single value"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tc.yaml), "action.yml")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestExpressions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want []expression
	}{
		{"no expression", nil},
		{"a ${{ inputs.x }} b", []expression{{text: "inputs.x", offset: 2}}},
		{"${{a}}${{ b }}", []expression{{text: "a", offset: 0}, {text: "b", offset: 6}}},
		{"x ${{ unterminated", []expression{{text: "unterminated", offset: 2}}},
	}
	for _, tc := range cases {
		got := expressions(tc.in)
		if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(expression{})); diff != "" {
			t.Errorf("expressions(%q) mismatch (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestInputEnv(t *testing.T) {
	t.Parallel()
	// go-githubactions' GetInput: upper-case, spaces to underscores,
	// hyphens kept.
	for in, want := range map[string]string{
		"scenario":        "INPUT_SCENARIO",
		"fail-on-warning": "INPUT_FAIL-ON-WARNING",
		"who to greet":    "INPUT_WHO_TO_GREET",
	} {
		if got := inputEnv(in); got != want {
			t.Errorf("inputEnv(%q) = %q, want %q", in, got, want)
		}
	}
}
