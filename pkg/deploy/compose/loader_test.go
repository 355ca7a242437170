package compose

// These tests hold the package to compose-go itself, which only tests
// link: the binary never does.

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	composeschema "github.com/compose-spec/compose-go/v2/schema"
	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v3"
)

// env is the environment both checks interpolate from.
var env = map[string]string{"TAG": "1.25", "PORT": "8080", "EMPTY": ""}

func lookupEnv(k string) (string, bool) {
	v, ok := env[k]
	return v, ok
}

// blankEnv is the manifest's lookup: every variable is set, unset ones
// blank.
func blankEnv(k string) (string, bool) {
	v, _ := lookupEnv(k)
	return v, true
}

// composeGo loads the file as the manifest did with compose-go.
func composeGo(file string, root *yaml.Node, project string, lookup func(string) (string, bool)) error {
	var model map[string]any
	if err := root.Decode(&model); err != nil {
		return err
	}
	details := types.ConfigDetails{
		WorkingDir:  filepath.Dir(file),
		ConfigFiles: []types.ConfigFile{{Filename: file, Config: model}},
		Environment: types.Mapping{},
	}
	_, err := loader.LoadWithContext(context.Background(), details, func(o *loader.Options) {
		o.SetProjectName(project, true)
		o.SkipResolveEnvironment = true
		o.SkipResolveLabels = true
		o.SkipInclude = true
		o.ResolvePaths = false
		o.Interpolate.LookupValue = lookup
	})
	return err
}

func parse(t *testing.T, file string) *yaml.Node {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return &doc
}

// TestAgreesWithComposeGo runs the corpus in testdata through both checks:
// they must agree with each other and with the folder the file is in.
func TestAgreesWithComposeGo(t *testing.T) {
	t.Parallel()
	for _, dir := range []string{"valid", "invalid"} {
		files, err := filepath.Glob(filepath.Join("testdata", dir, "*.yaml"))
		if err != nil || len(files) < 20 {
			t.Fatalf("testdata/%s: %d files, %v", dir, len(files), err)
		}
		for _, file := range files {
			t.Run(dir+"/"+strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
				t.Parallel()
				root := parse(t, file)
				for _, lookup := range []func(string) (string, bool){lookupEnv, blankEnv} {
					theirs := composeGo(file, root, "test", lookup)
					ours := Check(root, file, "test", lookup)
					if (theirs == nil) != (len(ours) == 0) {
						t.Fatalf("compose-go: %v\nCheck: %v", theirs, ours)
					}
					t.Logf("compose-go: %v\nCheck: %v", theirs, ours)
				}
				if want := dir == "valid"; want != (composeGo(file, root, "test", lookupEnv) == nil) {
					t.Errorf("in testdata/%s, but compose-go says otherwise", dir)
				}
			})
		}
	}
}

// TestSchemaIsComposeGos keeps the embedded copy equal to the schema of
// the compose-go in go.mod: after an upgrade, copy it again.
func TestSchemaIsComposeGos(t *testing.T) {
	t.Parallel()
	if specJSON != composeschema.Schema {
		t.Fatal("compose-spec.json differs from compose-go's schema.Schema: copy schema/compose-spec.json from the module cache (go env GOMODCACHE) and update NOTICE")
	}
}

// TestSubstituteAsComposeGo holds the interpolation to compose-go's.
func TestSubstituteAsComposeGo(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"plain", "$TAG", "${TAG}", "${TAG}x${PORT}", "$$", "$${TAG}", "$$TAG", "a$", "${", "${}", "${TAG", "${1A}", "$1",
		"${UNSET}", "${UNSET:-d}", "${UNSET-d}", "${EMPTY:-d}", "${EMPTY-d}", "${TAG:-d}",
		"${UNSET:+r}", "${TAG:+r}", "${EMPTY:+r}", "${EMPTY+r}", "${UNSET+r}",
		"${UNSET:?}", "${UNSET:?no ${TAG}}", "${EMPTY:?e}", "${EMPTY?e}", "${TAG?e}",
		"${UNSET:-${TAG}}", "${UNSET:-${UNSET2:-deep}}x", "${UNSET:-a}${TAG}${UNSET-b}", "${UNSET:-{x}}",
		"${UNSET:-a:-b}", "${UNSET-a?b}", "${TAG:?}", "pre ${UNSET:-${TAG}:post} $PORT/tcp", "${tag}", "${UNSET:-$}",
	} {
		want, werr := template.Substitute(s, lookupEnv)
		got, gerr := substitute(s, lookupEnv)
		if got != want || (werr == nil) != (gerr == nil) {
			t.Errorf("substitute(%q) = %q, %v; compose-go: %q, %v", s, got, gerr, want, werr)
		}
	}
}

func TestNormalizeProjectNameAsComposeGo(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"app", "App", "my app", "-app", "_a-b_", "édge", "A.B/C", "", "123", "x__y--z"} {
		if got, want := NormalizeProjectName(s), loader.NormalizeProjectName(s); got != want {
			t.Errorf("NormalizeProjectName(%q) = %q, compose-go says %q", s, got, want)
		}
	}
}
