package actionmeta

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
)

// skipDirs are directories that hold no action of this repository: fixtures,
// dependencies, build and run output.
var skipDirs = []string{".git", "testdata", "node_modules", "vendor", "bin", "results"}

// FindActions returns the action metadata files (action.yml, action.yaml)
// under the repository at root, sorted: the root action and every sub-action
// (actions/<verb>/action.yml, and any other folder). Test fixtures under
// testdata/ are not actions.
func FindActions(root string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && slices.Contains(skipDirs, d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if n := d.Name(); n == "action.yml" || n == "action.yaml" {
			out = append(out, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("finding actions: %w", err)
	}
	slices.Sort(out)
	return out, nil
}

// FindWorkflows returns the example workflows users copy (workflows/*.yml)
// and the project's own (.github/workflows/*.yml) under root, sorted.
func FindWorkflows(root string) ([]string, error) {
	var out []string
	for _, pattern := range []string{"workflows/*.yml", "workflows/*.yaml", ".github/workflows/*.yml", ".github/workflows/*.yaml"} {
		m, err := filepath.Glob(filepath.Join(root, pattern))
		if err != nil {
			return nil, fmt.Errorf("finding workflows: %w", err)
		}
		out = append(out, m...)
	}
	slices.Sort(out)
	return out, nil
}

// LoadRepo loads every action [FindActions] finds under root and marks the
// one at root as the root action.
func LoadRepo(root string) ([]*Action, error) {
	paths, err := FindActions(root)
	if err != nil {
		return nil, err
	}
	out := make([]*Action, 0, len(paths))
	for _, p := range paths {
		a, err := Load(p)
		if err != nil {
			return nil, err
		}
		a.Root = filepath.Dir(p) == filepath.Clean(root)
		out = append(out, a)
	}
	return out, nil
}
