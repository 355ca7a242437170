package container

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

var _ node.Noted = (*Node)(nil)

// Notes implements node.Noted.
func (d *Node) Notes() []scenario.Diagnostic { return d.notes }

func (d *Node) note(key, format string, args ...any) {
	d.notes = append(d.notes, scenario.Diagnostic{Pos: d.pos, Severity: scenario.SeverityWarning, Key: key,
		Message: fmt.Sprintf("node %q: ", d.id) + fmt.Sprintf(format, args...)})
}

// resolvePaths makes the node's relative paths absolute as the scenario
// means them (scenario.ResolvePath): build_context, the host side of
// volumes, and oci:/tar: images, against the scenario's directory dir and,
// when nothing is there, the working directory, as upstream does, with a
// note. docker.dockerfile stays relative to the build context, as docker
// build reads it.
func (d *Node) resolvePaths(dir string) {
	resolve := func(key, p string) string {
		full, fromWorkDir := scenario.ResolvePath(dir, p)
		if fromWorkDir {
			d.note(key, "%s", scenario.WorkDirNote("docker."+key, p, full))
		}
		return full
	}
	if d.spec.buildContext != "" {
		d.spec.buildContext = resolve("build_context", d.spec.buildContext)
	}
	if kind, p, ok := strings.Cut(d.spec.image, ":"); ok && (kind == "oci" || kind == "tar") && p != "" {
		d.spec.image = kind + ":" + resolve("image", p)
	}
	for i, b := range d.spec.binds {
		host, rest, _ := strings.Cut(b, ":")
		if !isHostPath(host) {
			continue // a named volume
		}
		d.spec.binds[i] = resolve("volumes", host) + ":" + rest
	}
}

// isHostPath tells a bind's host path from a named volume, as Docker
// does: a volume name has no slash and does not start with a dot.
func isHostPath(s string) bool {
	return filepath.IsAbs(s) || strings.Contains(s, "/") || strings.HasPrefix(s, ".")
}
