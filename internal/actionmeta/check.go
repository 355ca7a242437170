package actionmeta

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Repository is this repository as workflows reference it
// (uses: xedgesim/simulate@<commit> # v1.2.3,
// xedgesim/simulate/actions/deploy@<commit> # v1.2.3). Its references are
// pinned like any other: the example jobs that use them hold SSH keys and
// write tokens, and a moved tag would run other code with them.
const Repository = "xedgesim/simulate"

// Rule names a kind of [Problem].
type Rule string

// The rules [Check] and [CheckWorkflow] apply. The package documentation
// says why each one matters.
const (
	// RuleMetadata: a missing name, description or runs.using, an unknown
	// runs.using, or a workflow without on: or jobs:.
	RuleMetadata Rule = "metadata"
	// RuleBranding: the root action has no branding, no icon, or a color
	// the Marketplace does not offer.
	RuleBranding Rule = "branding"
	// RuleInputName: an input name that is not lower-case words joined by
	// hyphens.
	RuleInputName Rule = "input-name"
	// RuleInputDescription: an input without a description.
	RuleInputDescription Rule = "input-description"
	// RuleInputUnmapped: an input of a composite action that no step's env:
	// or with: passes on.
	RuleInputUnmapped Rule = "input-unmapped"
	// RuleUnknownInput: an INPUT_* variable, or an env: or with: value, that
	// names an input the action does not declare.
	RuleUnknownInput Rule = "unknown-input"
	// RuleEnvMismatch: INPUT_<NAME> carries something other than input
	// <name>.
	RuleEnvMismatch Rule = "env-mismatch"
	// RuleRunInput: a run: script interpolates an expression that reads
	// inputs.
	RuleRunInput Rule = "run-input"
	// RuleRunUntrusted: a run: script interpolates github.event or
	// github.head_ref.
	RuleRunUntrusted Rule = "run-untrusted"
	// RuleShell: a composite run: step without shell:.
	RuleShell Rule = "shell"
	// RuleStep: a step with neither or both of run: and uses:, or a
	// duplicate step id.
	RuleStep Rule = "step"
	// RuleOutputDescription: an output without a description.
	RuleOutputDescription Rule = "output-description"
	// RuleOutputValue: a composite output without a value: that reads a
	// step's output.
	RuleOutputValue Rule = "output-value"
	// RuleOutputStep: an output value: that reads a step id no step has.
	RuleOutputStep Rule = "output-step"
	// RuleUnpinned: a uses: that is not pinned to a full commit (or a
	// docker:// image not pinned by digest).
	RuleUnpinned Rule = "unpinned"
	// RulePinComment: a uses: pinned to a commit without the version it
	// stands for in a comment on its line (# v6.0.2).
	RulePinComment Rule = "pin-comment"
	// RuleCredentialURL: a run: script puts a variable or expression in
	// the user-info of a URL (https://user:$TOKEN@host), that is, a
	// credential in a command's arguments.
	RuleCredentialURL Rule = "credential-url" // #nosec G101 -- the name of a rule that finds credentials, not one
	// RuleEnvironment: a job that can write the repository's contents
	// (push tags, branches, releases) runs without an environment:.
	RuleEnvironment Rule = "environment"
	// RulePackages: a job deploys or verifies with this repository's
	// actions without packages: read, so a private ghcr.io image cannot
	// be pulled with the job's token.
	RulePackages Rule = "packages"
	// RulePermissions: a workflow with neither top-level permissions: nor
	// permissions: on a job, or with write-all.
	RulePermissions Rule = "permissions"
	// RulePullRequestTarget: a workflow triggered by pull_request_target.
	RulePullRequestTarget Rule = "pull-request-target"
	// RuleSecrets: a workflow that pull requests trigger reads a secret
	// other than GITHUB_TOKEN.
	RuleSecrets Rule = "secrets"
	// RuleSecretScope: the workflow-level env: reads a secret, which hands
	// it to every job and step instead of the one that needs it.
	RuleSecretScope Rule = "secret-scope"
	// RuleCheckoutCredentials: an actions/checkout step that leaves the
	// job's token in .git (no persist-credentials: false).
	RuleCheckoutCredentials Rule = "checkout-credentials"
)

// Problem is one mistake found in an action or a workflow.
type Problem struct {
	// File is the path the action or workflow was loaded from.
	File string
	// Line is the 1-based line of the element at fault.
	Line int
	Rule Rule
	// Subject is what is at fault: an input or output name, an env
	// variable, a step id, a uses: reference, a job id or an event.
	Subject string
	// Message says what is wrong and what to write instead.
	Message string
}

// String renders the problem as file:line: message [rule].
func (p Problem) String() string {
	return fmt.Sprintf("%s:%d: %s [%s]", p.File, p.Line, p.Message, p.Rule)
}

// checker collects the problems of one file.
type checker struct {
	file     string
	problems []Problem
}

// sorted returns the problems in line order; problems on one line keep the
// order they were found in.
func (c *checker) sorted() []Problem {
	slices.SortStableFunc(c.problems, func(a, b Problem) int { return a.Line - b.Line })
	return c.problems
}

func (c *checker) add(line int, rule Rule, subject, format string, args ...any) {
	c.problems = append(c.problems, Problem{
		File:    c.file,
		Line:    line,
		Rule:    rule,
		Subject: subject,
		Message: fmt.Sprintf(format, args...),
	})
}

// brandingColors are the colors the Marketplace offers.
var brandingColors = []string{"white", "black", "yellow", "blue", "green", "orange", "red", "purple", "gray-dark"}

// inputName is the one input naming style: lower-case words joined by
// hyphens, e.g. fail-on-warning.
var inputName = regexp.MustCompile(`^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$`)

// fullSHA is a full commit id; shortSHA looks like an abbreviated one.
var (
	fullSHA  = regexp.MustCompile(`^[0-9a-f]{40}$`)
	shortSHA = regexp.MustCompile(`^[0-9a-f]{7,39}$`)
)

// credentialURL is a URL whose user-info holds a variable or an
// expression: https://x-access-token:${TOKEN}@github.com/...
var credentialURL = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^\s/@]*(?:\$\{\{[^}]*\}\}|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)[^\s/@]*@`)

// imageDigest is a docker:// image pinned by digest.
var imageDigest = regexp.MustCompile(`@sha256:[0-9a-f]{64}$`)

// Check returns the problems of an action in line order, nil if there are
// none. The package documentation lists the checks.
func Check(a *Action) []Problem {
	c := &checker{file: a.Path}
	c.metadata(a)
	c.inputs(a)
	composite := a.Runs.Using == "composite"
	if composite {
		c.steps(a.Runs.Steps, false)
		c.mappings(a)
	}
	c.outputs(a, composite)
	return c.sorted()
}

func (c *checker) metadata(a *Action) {
	if strings.TrimSpace(a.Name) == "" {
		c.add(1, RuleMetadata, "name", "the action has no name; add name:")
	}
	if strings.TrimSpace(a.Description) == "" {
		c.add(1, RuleMetadata, "description", "the action has no description; add description:")
	}
	switch a.Runs.Using {
	case "composite", "docker", "node20", "node24":
	case "":
		c.add(a.Runs.Line, RuleMetadata, "runs.using", "runs.using is missing; write composite")
	default:
		c.add(a.Runs.Line, RuleMetadata, "runs.using", "runs.using %q is not one the runner knows; write composite, docker, node20 or node24", a.Runs.Using)
	}
	if !a.Root {
		return
	}
	b := a.Branding
	switch {
	case b == nil:
		c.add(1, RuleBranding, "branding", "the root action has no branding; the Marketplace needs branding: {icon: ..., color: ...}")
	case strings.TrimSpace(b.Icon) == "":
		c.add(b.Line, RuleBranding, "branding.icon", "branding has no icon; name a Feather icon, e.g. icon: activity")
	case !slices.Contains(brandingColors, b.Color):
		c.add(b.Line, RuleBranding, "branding.color", "branding color %q is not one the Marketplace offers; write one of %s", b.Color, strings.Join(brandingColors, ", "))
	}
}

func (c *checker) inputs(a *Action) {
	for _, in := range a.Inputs {
		if !inputName.MatchString(in.ID) {
			c.add(in.Line, RuleInputName, in.ID, "input %q: name inputs in lower-case words joined by hyphens, e.g. fail-on-warning", in.ID)
		}
		if strings.TrimSpace(in.Description) == "" {
			c.add(in.Line, RuleInputDescription, in.ID, "input %q has no description; say what it does, its format and its default", in.ID)
		}
	}
}

// steps checks the steps of a composite action (workflow false) or of a
// workflow job (workflow true): pinned uses:, run: scripts without
// interpolated inputs or untrusted text, shell: on composite run: steps.
func (c *checker) steps(steps []Step, workflow bool) {
	ids := map[string]int{}
	for i := range steps {
		s := &steps[i]
		if s.ID != "" {
			id := strings.ToLower(s.ID)
			if prev, ok := ids[id]; ok {
				c.add(s.Line, RuleStep, s.ID, "step id %q is used twice (first at line %d); step ids must be unique", s.ID, prev)
			} else {
				ids[id] = s.Line
			}
		}
		switch {
		case s.Run == "" && s.Uses == "":
			c.add(s.Line, RuleStep, s.label(), "%s has neither run: nor uses:", s.describe())
		case s.Run != "" && s.Uses != "":
			c.add(s.Line, RuleStep, s.label(), "%s has both run: and uses:; split it in two", s.describe())
		}
		if s.Uses != "" {
			c.pinned(s.Line, s.Uses, s.UsesComment)
		}
		if s.Run == "" {
			continue
		}
		if m := credentialURL.FindStringIndex(s.Run); m != nil {
			line := s.RunLine + strings.Count(s.Run[:m[0]], "\n")
			c.add(line, RuleCredentialURL, s.label(), "%s puts a credential in a URL (%s), which is in the command's arguments, where every process on the machine can read it (and git prints it in errors); hand it over in the environment: a credential helper that reads it from env, or GIT_CONFIG_* with an http.extraheader", s.describe(), s.Run[m[0]:m[1]])
		}
		if !workflow && strings.TrimSpace(s.Shell) == "" {
			c.add(s.Line, RuleShell, s.label(), "%s runs a script without shell:; composite steps have no default, write shell: bash", s.describe())
		}
		for _, e := range expressions(s.Run) {
			line := s.RunLine + strings.Count(s.Run[:e.offset], "\n")
			if !workflow && inputsRef.MatchString(e.text) {
				subject, hint := "inputs", "map the input in env: and read the variable"
				if names := properties(inputProperty, e.text); len(names) > 0 {
					subject = names[0]
					hint = fmt.Sprintf("map it in env: (%s: ${{ inputs.%s }}) and read the variable", inputEnv(subject), subject)
				}
				c.add(line, RuleRunInput, subject, "%s interpolates ${{ %s }} into its script, where input text becomes shell code; %s", s.describe(), e.text, hint)
			}
			if untrusted.MatchString(e.text) {
				c.add(line, RuleRunUntrusted, s.label(), "%s interpolates ${{ %s }} into its script, and that text can come from whoever opened the pull request; pass it through env: and read the variable", s.describe(), e.text)
			}
		}
	}
}

// pinned checks that a uses: reference cannot change under the user:
// a full commit id with the version it stands for in a comment, a docker://
// image by digest, or a local ./ action. References to [Repository] are no
// exception.
func (c *checker) pinned(line int, uses, comment string) {
	switch {
	case strings.HasPrefix(uses, "./"):
		return
	case strings.HasPrefix(uses, "docker://"):
		if !imageDigest.MatchString(uses) {
			c.add(line, RuleUnpinned, uses, "%s is not pinned; a tag can be moved to another image, pin it by digest (docker://image@sha256:...)", uses)
		}
		return
	}
	repo, ref, ok := strings.Cut(uses, "@")
	if !ok || ref == "" {
		c.add(line, RuleUnpinned, uses, "%s names no version; pin it to a full commit: %s@<40-hex commit> # vX.Y.Z", uses, uses)
		return
	}
	if shortSHA.MatchString(ref) && !fullSHA.MatchString(ref) {
		c.add(line, RuleUnpinned, uses, "%s names a short commit, which a later commit can collide with; write all 40 hex digits", uses)
		return
	}
	if !fullSHA.MatchString(ref) {
		c.add(line, RuleUnpinned, uses, "%s is not pinned; a tag or branch can be moved to other code, pin the full commit of that release: %s@<40-hex commit> # %s", uses, repo, ref)
		return
	}
	if comment == "" {
		c.add(line, RulePinComment, uses, "%s is pinned to a commit without the version it stands for; add it as a comment on the line (uses: %s # vX.Y.Z), which Dependabot and Renovate update with the pin", uses, uses)
	}
}

// isSelf reports whether repo (owner/name[/path]) is [Repository].
func isSelf(repo string) bool {
	parts := strings.SplitN(repo, "/", 3)
	return len(parts) >= 2 && strings.EqualFold(parts[0]+"/"+parts[1], Repository)
}

// mappings checks that every input of a composite action reaches a step,
// and that every mapping names a declared input.
func (c *checker) mappings(a *Action) {
	byID := map[string]*Input{}
	byEnv := map[string]*Input{}
	for i := range a.Inputs {
		in := &a.Inputs[i]
		byID[strings.ToLower(in.ID)] = in
		byEnv[inputEnv(in.ID)] = in
	}
	used := map[string]bool{}
	for i := range a.Runs.Steps {
		s := &a.Runs.Steps[i]
		for _, v := range s.Env {
			refs := inputRefs(v.Value)
			c.knownInputs(s, v, refs, byID, used)
			if !strings.HasPrefix(v.Name, "INPUT_") {
				continue
			}
			in, ok := byEnv[v.Name]
			if !ok {
				c.add(v.Line, RuleUnknownInput, v.Name, "%s sets %s, which no input is read from%s", s.describe(), v.Name, envHint(v.Name, a.Inputs))
				continue
			}
			if !slices.Contains(refs, strings.ToLower(in.ID)) {
				c.add(v.Line, RuleEnvMismatch, v.Name, "%s sets %s to %q, but the binary reads input %q from it; write %s: ${{ inputs.%s }}", s.describe(), v.Name, v.Value, in.ID, v.Name, in.ID)
			}
		}
		for _, v := range s.With {
			c.knownInputs(s, v, inputRefs(v.Value), byID, used)
		}
	}
	for _, in := range a.Inputs {
		if !used[strings.ToLower(in.ID)] {
			c.add(in.Line, RuleInputUnmapped, in.ID, "input %q reaches no step: GitHub does not pass INPUT_* to composite steps (act does, which hides this); map it in the env: of the step that reads it: %s: ${{ inputs.%s }}", in.ID, inputEnv(in.ID), in.ID)
		}
	}
}

// knownInputs checks that the inputs an env: or with: value reads exist,
// and marks them used.
func (c *checker) knownInputs(s *Step, v Var, refs []string, byID map[string]*Input, used map[string]bool) {
	for _, ref := range refs {
		if _, ok := byID[ref]; !ok {
			c.add(v.Line, RuleUnknownInput, ref, "%s: %s reads inputs.%s, which action.yml does not declare", s.describe(), v.Name, ref)
			continue
		}
		used[ref] = true
	}
}

// envHint suggests the declared input an unknown INPUT_* variable was meant
// for: the usual slip is writing underscores for an input's hyphens.
func envHint(name string, inputs []Input) string {
	norm := func(s string) string { return strings.ReplaceAll(strings.ToUpper(s), "-", "_") }
	for _, in := range inputs {
		if norm(inputEnv(in.ID)) == norm(name) {
			return fmt.Sprintf("; input %q is read from %s (hyphens are kept)", in.ID, inputEnv(in.ID))
		}
	}
	return ""
}

func (c *checker) outputs(a *Action, composite bool) {
	ids := map[string]bool{}
	for _, s := range a.Runs.Steps {
		if s.ID != "" {
			ids[strings.ToLower(s.ID)] = true
		}
	}
	for _, o := range a.Outputs {
		if strings.TrimSpace(o.Description) == "" {
			c.add(o.Line, RuleOutputDescription, o.ID, "output %q has no description; say what it holds and its format", o.ID)
		}
		if !composite {
			continue
		}
		refs := stepOutput.FindAllStringSubmatch(strings.Join(exprTexts(o.Value), " "), -1)
		if len(refs) == 0 {
			c.add(o.Line, RuleOutputValue, o.ID, "output %q of a composite action needs value: ${{ steps.<id>.outputs.<name> }}", o.ID)
			continue
		}
		for _, m := range refs {
			if !ids[strings.ToLower(m[1])] {
				c.add(o.Line, RuleOutputStep, o.ID, "output %q reads steps.%s, but no step has id: %s", o.ID, m[1], m[1])
			}
		}
	}
}

func exprTexts(s string) []string {
	var out []string
	for _, e := range expressions(s) {
		out = append(out, e.text)
	}
	return out
}

// CheckWorkflow returns the problems of a workflow in line order, nil if
// there are none. The package documentation lists the checks.
func CheckWorkflow(w *Workflow) []Problem {
	c := &checker{file: w.Path}
	if len(w.On) == 0 {
		c.add(1, RuleMetadata, "on", "the workflow has no on: trigger")
	}
	if len(w.Jobs) == 0 {
		c.add(1, RuleMetadata, "jobs", "the workflow has no jobs")
	}
	pullRequest := false
	for _, e := range w.On {
		switch e.Name {
		case "pull_request":
			pullRequest = true
		case "pull_request_target":
			pullRequest = true
			c.add(e.Line, RulePullRequestTarget, e.Name, "pull_request_target runs with the base repository's write token and secrets; use pull_request, which gives a fork's code a read-only token and no secrets")
		}
	}
	c.permissions(w.Permissions, "workflow")
	for _, v := range w.Env {
		for _, e := range expressions(v.Value) {
			for _, name := range properties(secretProperty, e.text) {
				if name != "github_token" {
					c.add(v.Line, RuleSecretScope, v.Name, "the workflow's env: %s reads secrets.%s, which every job and step then sees; pass it in the with: or env: of the one step that needs it", v.Name, name)
				}
			}
		}
	}
	for i := range w.Jobs {
		j := &w.Jobs[i]
		if w.Permissions == nil && j.Permissions == nil {
			c.add(j.Line, RulePermissions, j.ID, "job %s runs with the repository's default token permissions; set permissions: at the top of the workflow (contents: read) or on the job", j.ID)
		}
		c.permissions(j.Permissions, "job "+j.ID)
		if j.Uses != "" {
			c.pinned(j.Line, j.Uses, j.UsesComment)
		}
		c.steps(j.Steps, true)
		c.checkoutCredentials(j.Steps)
		perms := j.Permissions
		if perms == nil {
			perms = w.Permissions
		}
		// write-all is RulePermissions' finding already.
		if perms != nil && perms.All == "" && perms.grants("contents", "write") && j.Environment == "" {
			c.add(j.Line, RuleEnvironment, j.ID, "job %s can write the repository's contents (tags, branches, releases) but runs without an environment:; give it one with required reviewers and a deployment branch rule (environment: release), so no run writes without a review and from an unprotected branch", j.ID)
		}
		c.packages(j, perms)
	}
	if pullRequest {
		for _, e := range w.Expressions {
			if !secretsRef.MatchString(e.Text) {
				continue
			}
			names := properties(secretProperty, e.Text)
			if len(names) == 0 {
				names = []string{"secrets"}
			}
			for _, name := range names {
				if name != "github_token" {
					c.add(e.Line, RuleSecrets, name, "a workflow that pull requests trigger reads ${{ %s }}; pull requests run code their author wrote, keep secrets in workflows that run trusted code (push, release)", e.Text)
				}
			}
		}
	}
	return c.sorted()
}

// grants reports whether p gives scope at least level (read < write).
// A nil p grants nothing this check can see.
func (p *Permissions) grants(scope, level string) bool {
	if p == nil {
		return false
	}
	switch p.All {
	case "write-all":
		return true
	case "read-all":
		return level == "read"
	}
	for _, v := range p.Scopes {
		if v.Name == scope {
			return v.Value == "write" || (level == "read" && v.Value == "read")
		}
	}
	return false
}

// packages checks that a job deploying or verifying with this repository's
// actions can pull a private ghcr.io image with the job's token.
func (c *checker) packages(j *Job, perms *Permissions) {
	if perms == nil || perms.grants("packages", "read") {
		return // no permissions at all is RulePermissions' finding
	}
	for _, s := range j.Steps {
		repo, _, _ := strings.Cut(s.Uses, "@")
		parts := strings.Split(strings.ToLower(repo), "/")
		if len(parts) == 4 && isSelf(repo) && parts[2] == "actions" && (parts[3] == "deploy" || parts[3] == "verify") {
			c.add(s.Line, RulePackages, j.ID, "job %s deploys with %s but its token cannot read packages, so a private ghcr.io image fails to pull; add packages: read to the job's permissions:", j.ID, repo)
			return
		}
	}
}

func (c *checker) permissions(p *Permissions, where string) {
	if p != nil && p.All == "write-all" {
		c.add(p.Line, RulePermissions, where, "%s grants write-all; grant only the scopes it needs (contents: read, checks: write, ...)", where)
	}
}

// checkoutCredentials checks that actions/checkout does not leave the job's
// token in .git, where every later step (and the code it runs) can read it.
func (c *checker) checkoutCredentials(steps []Step) {
	for _, s := range steps {
		if !strings.HasPrefix(strings.ToLower(s.Uses), "actions/checkout@") {
			continue
		}
		persist := ""
		for _, v := range s.With {
			if v.Name == "persist-credentials" {
				persist = strings.TrimSpace(v.Value)
			}
		}
		if persist != "false" {
			c.add(s.Line, RuleCheckoutCredentials, s.label(), "%s leaves the job's token in .git for every later step; add with: persist-credentials: false (push with the token in the step that pushes)", s.describe())
		}
	}
}
