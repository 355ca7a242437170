package build

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// GitHub is the part of the GitHub Actions context that names an image:
// from GITHUB_* variables and the event payload at GITHUB_EVENT_PATH.
type GitHub struct {
	EventName     string // push, pull_request, ...
	Ref           string // refs/heads/main, refs/tags/v1.2.3, refs/pull/5/merge
	SHA           string // the commit; for a pull request, its head commit
	Repository    string // owner/name
	ServerURL     string // https://github.com
	DefaultBranch string
	PRNumber      int
	License       string // SPDX ID of the repository's license
	Description   string
	// CommitTime is the head commit's time when the payload gives it.
	CommitTime time.Time
}

// event is the part of an event payload we read.
type event struct {
	Repository struct {
		DefaultBranch string `json:"default_branch"`
		Description   string `json:"description"`
		License       *struct {
			SPDXID string `json:"spdx_id"`
		} `json:"license"`
	} `json:"repository"`
	PullRequest *struct {
		Number int `json:"number"`
		Head   struct {
			SHA string `json:"sha"`
		} `json:"head"`
	} `json:"pull_request"`
	Number     int `json:"number"`
	HeadCommit *struct {
		Timestamp string `json:"timestamp"`
	} `json:"head_commit"`
}

// GitHubFromEnv reads the Actions context through getenv (os.Getenv, or a
// map in tests). A pull request's SHA is its head commit, not the merge
// commit GITHUB_SHA names: an image tagged sha-<short> must match a commit
// the author pushed (metadata-action users keep rediscovering this).
func GitHubFromEnv(getenv func(string) string) (GitHub, error) {
	g := GitHub{
		EventName:  getenv("GITHUB_EVENT_NAME"),
		Ref:        getenv("GITHUB_REF"),
		SHA:        getenv("GITHUB_SHA"),
		Repository: getenv("GITHUB_REPOSITORY"),
		ServerURL:  getenv("GITHUB_SERVER_URL"),
	}
	if g.ServerURL == "" && g.Repository != "" {
		g.ServerURL = "https://github.com"
	}
	if path := getenv("GITHUB_EVENT_PATH"); path != "" {
		b, err := os.ReadFile(path) // #nosec G304 -- the event file the Actions runner writes
		if err != nil {
			return g, fmt.Errorf("reading event payload: %w", err)
		}
		var ev event
		if err := json.Unmarshal(b, &ev); err != nil {
			return g, fmt.Errorf("reading event payload %s: %w", path, err)
		}
		g.DefaultBranch = ev.Repository.DefaultBranch
		g.Description = ev.Repository.Description
		if l := ev.Repository.License; l != nil && l.SPDXID != "NOASSERTION" {
			g.License = l.SPDXID
		}
		if pr := ev.PullRequest; pr != nil {
			g.PRNumber = pr.Number
			if pr.Head.SHA != "" {
				g.SHA = pr.Head.SHA
			}
		}
		if hc := ev.HeadCommit; hc != nil && hc.Timestamp != "" {
			if t, err := time.Parse(time.RFC3339, hc.Timestamp); err == nil {
				g.CommitTime = t.UTC()
			}
		}
	}
	if g.PRNumber == 0 {
		// refs/pull/5/merge
		if rest, ok := strings.CutPrefix(g.Ref, "refs/pull/"); ok {
			if n, _, ok := strings.Cut(rest, "/"); ok {
				g.PRNumber, _ = strconv.Atoi(n)
			}
		}
	}
	return g, nil
}

// Branch is the branch name of a branch push, "" otherwise.
func (g GitHub) Branch() string {
	b, _ := strings.CutPrefix(g.Ref, "refs/heads/")
	if b == g.Ref {
		return ""
	}
	return b
}

// GitTag is the tag name of a tag push, "" otherwise.
func (g GitHub) GitTag() string {
	t, ok := strings.CutPrefix(g.Ref, "refs/tags/")
	if !ok {
		return ""
	}
	return t
}

// IsPR reports whether the run is for a pull request.
func (g GitHub) IsPR() bool { return g.PRNumber > 0 }

// IsDefaultBranch reports whether the run is a push to the default branch.
func (g GitHub) IsDefaultBranch() bool {
	return g.DefaultBranch != "" && g.Branch() == g.DefaultBranch
}

// TagRule is one rule that derives image tags from the git ref, in
// docker/metadata-action's syntax: type=semver,pattern={{version}},
// type=ref,event=branch, type=ref,event=pr, type=ref,event=tag, type=sha,
// type=raw,value=latest,enable={{is_default_branch}}. A bare word is
// type=raw,value=<word>.
type TagRule struct {
	Type    string // semver, ref, sha, raw
	Pattern string // semver: {{version}}, {{major}}.{{minor}}, {{major}}, {{raw}}
	Event   string // ref: branch, tag, pr
	Value   string // raw
	Prefix  string
	Suffix  string
	Format  string // sha: short (default) or long
	// Enable is "", "true", "false" or "{{is_default_branch}}".
	Enable string
}

// DefaultTagRules are the rules of --tags-from-ref: semver versions of a
// release tag, the branch name, pr-N, sha-<short>, and latest on the
// default branch.
var DefaultTagRules = []TagRule{
	{Type: "semver", Pattern: "{{version}}"},
	{Type: "semver", Pattern: "{{major}}.{{minor}}"},
	{Type: "ref", Event: "branch"},
	{Type: "ref", Event: "pr"},
	{Type: "sha"},
	{Type: "raw", Value: "latest", Enable: "{{is_default_branch}}"},
}

// ParseTagRules parses rules, one per item; empty items are skipped.
func ParseTagRules(items []string) ([]TagRule, error) {
	var rules []TagRule
	var errs []error
	for _, item := range items {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		r, err := ParseTagRule(item)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rules = append(rules, r)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, inputErr(err)
	}
	return rules, nil
}

// ParseTagRule parses one rule.
func ParseTagRule(s string) (TagRule, error) {
	if !strings.Contains(s, "=") {
		if !validTag().MatchString(s) {
			return TagRule{}, inputErr(fmt.Errorf("tag %q: a tag is up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'", s))
		}
		return TagRule{Type: "raw", Value: s}, nil
	}
	var r TagRule
	fields := map[string]*string{"type": &r.Type, "pattern": &r.Pattern, "event": &r.Event, "value": &r.Value,
		"prefix": &r.Prefix, "suffix": &r.Suffix, "format": &r.Format, "enable": &r.Enable}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return TagRule{}, inputErr(fmt.Errorf("tag rule %q: %q is not key=value", s, kv))
		}
		f, known := fields[k]
		if !known {
			return TagRule{}, inputErr(fmt.Errorf("tag rule %q: unknown key %q (want type, pattern, event, value, prefix, suffix, format, enable)", s, k))
		}
		*f = v
	}
	var bad string
	switch r.Type {
	case "semver":
		if r.Pattern == "" {
			bad = "type=semver needs pattern=, such as {{version}} or {{major}}.{{minor}}"
		}
	case "ref":
		if r.Event != "branch" && r.Event != "tag" && r.Event != "pr" {
			bad = "type=ref needs event=branch, event=tag or event=pr"
		}
	case "sha":
		if r.Format != "" && r.Format != "short" && r.Format != "long" {
			bad = "type=sha takes format=short or format=long"
		}
	case "raw":
		if r.Value == "" {
			bad = "type=raw needs value="
		}
	default:
		bad = "type must be semver, ref, sha or raw"
	}
	switch r.Enable {
	case "", "true", "false", "{{is_default_branch}}":
	default:
		bad = "enable must be true, false or {{is_default_branch}}"
	}
	if bad != "" {
		return TagRule{}, inputErr(fmt.Errorf("tag rule %q: %s", s, bad))
	}
	return r, nil
}

// The expressions compile on first use: every xedgesim command links this
// package, and only a build that computes tags needs them.
var (
	semverRE  = lazyRegexp(`^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$`)
	validTag  = lazyRegexp(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	tagUnsafe = lazyRegexp(`[^A-Za-z0-9_.-]`)
)

// lazyRegexp compiles expr once, when first called.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// ShortSHALength is the length of sha-<short> tags, as metadata-action's.
const ShortSHALength = 7

// priority orders tags the way metadata-action does, so that the version
// annotation is the most specific tag.
func (r TagRule) priority() int {
	switch r.Type {
	case "semver":
		return 900
	case "ref":
		return 600
	case "raw":
		return 200
	}
	return 100
}

// Tags computes the tag names the rules give for this context, in rule
// order without duplicates, and the version: the most specific one
// (semver over ref over raw over sha). A release tag that is not a
// prerelease also gets latest when a semver rule matched, like
// metadata-action's flavor latest=auto.
func (g GitHub) Tags(rules []TagRule) (tags []string, version string) {
	best := -1
	add := func(t string, prio int) {
		t = sanitizeTag(t)
		if t == "" || slices.Contains(tags, t) {
			return
		}
		tags = append(tags, t)
		if prio > best && t != "latest" {
			best, version = prio, t
		}
	}
	semverLatest := false
	for _, r := range rules {
		switch r.Enable {
		case "false":
			continue
		case "{{is_default_branch}}":
			if !g.IsDefaultBranch() {
				continue
			}
		}
		wrap := func(s string) string { return r.Prefix + s + r.Suffix }
		switch r.Type {
		case "semver":
			m := semverRE().FindStringSubmatch(g.GitTag())
			if m == nil {
				continue
			}
			major, minor, patch, pre := m[1], m[2], m[3], m[4]
			if pre != "" && r.Pattern != "{{version}}" && r.Pattern != "{{raw}}" {
				continue // a prerelease gets only its own version
			}
			if major == "0" && r.Pattern == "{{major}}" {
				continue // 0 says nothing about compatibility
			}
			v := strings.TrimPrefix(g.GitTag(), "v")
			if i := strings.IndexByte(v, '+'); i >= 0 {
				v = v[:i]
			}
			t := strings.NewReplacer("{{version}}", v, "{{major}}", major, "{{minor}}", minor, "{{patch}}", patch, "{{raw}}", g.GitTag()).Replace(r.Pattern)
			add(wrap(t), r.priority())
			semverLatest = semverLatest || pre == ""
		case "ref":
			switch {
			case r.Event == "branch" && g.Branch() != "":
				add(wrap(g.Branch()), r.priority())
			case r.Event == "tag" && g.GitTag() != "":
				add(wrap(g.GitTag()), r.priority())
			case r.Event == "pr" && g.IsPR():
				add(wrap("pr-"+strconv.Itoa(g.PRNumber)), r.priority())
			}
		case "sha":
			if g.SHA == "" {
				continue
			}
			sha := g.SHA
			if r.Format != "long" && len(sha) > ShortSHALength {
				sha = sha[:ShortSHALength]
			}
			prefix := r.Prefix
			if prefix == "" {
				prefix = "sha-"
			}
			add(prefix+sha+r.Suffix, r.priority())
		case "raw":
			add(wrap(r.Value), r.priority())
		}
	}
	if semverLatest {
		add("latest", 0)
	}
	return tags, version
}

// sanitizeTag makes a ref name a valid tag, as metadata-action does:
// characters outside [A-Za-z0-9_.-] become '-', no leading '.' or '-', at
// most 128 characters.
func sanitizeTag(s string) string {
	s = tagUnsafe().ReplaceAllString(s, "-")
	s = strings.TrimLeft(s, ".-")
	if len(s) > 128 {
		s = s[:128]
	}
	return s
}

// Annotations are the OCI annotations (and labels) of an image built in
// this context: source, revision, created, version, title, licenses, url
// and description, leaving out what the context does not know.
func (g GitHub) Annotations(version string, created time.Time) map[string]string {
	a := map[string]string{
		"org.opencontainers.image.created": created.UTC().Format(time.RFC3339),
	}
	set := func(k, v string) {
		if v != "" {
			a["org.opencontainers.image."+k] = v
		}
	}
	if g.Repository != "" {
		url := strings.TrimSuffix(g.ServerURL, "/") + "/" + g.Repository
		set("source", url)
		set("url", url)
		_, title, _ := strings.Cut(g.Repository, "/")
		set("title", title)
	}
	set("revision", g.SHA)
	set("version", version)
	set("licenses", g.License)
	set("description", g.Description)
	return a
}

// SourceDateEpoch is the time every timestamp of a build is set to:
// SOURCE_DATE_EPOCH when set; in GitHub Actions (GITHUB_ACTIONS=true) the
// commit's time from commitTime (git log) or the event payload; otherwise
// the Unix epoch, so that two builds of the same source always agree.
func SourceDateEpoch(getenv func(string) string, g GitHub, commitTime func() (time.Time, error)) (time.Time, error) {
	if s := getenv("SOURCE_DATE_EPOCH"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return time.Time{}, inputErr(fmt.Errorf("SOURCE_DATE_EPOCH %q: want seconds since 1970, such as the output of git log -1 --format=%%ct", s))
		}
		return time.Unix(n, 0).UTC(), nil
	}
	if getenv("GITHUB_ACTIONS") == "true" {
		if commitTime != nil {
			if t, err := commitTime(); err == nil && !t.IsZero() {
				return t.UTC(), nil
			}
		}
		if !g.CommitTime.IsZero() {
			return g.CommitTime, nil
		}
	}
	return time.Unix(0, 0).UTC(), nil
}
