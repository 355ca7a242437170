package scenario

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/xedgesim/simulate/internal/yamldiag"
)

// Resolve returns path as the scenario means it: relative paths are relative
// to the scenario file's directory (Dir) and, when nothing is there, to the
// working directory, as upstream resolves them (see ResolvePath).
func (s *Scenario) Resolve(path string) string {
	full, _ := ResolvePath(s.Dir, path)
	return full
}

// crossCheck runs the checks that look across sections, which upstream does
// not have: duplicate ids and ports, links naming unknown nodes, duplicate
// links.
func (d *decoder) crossCheck(s *Scenario, r *refs) {
	d.checkScopes(s, r)
	d.checkFaultTimes(s, r.faults)
	d.checkNodeFaults(s, r.faults)
	d.checkGroups(s, r)
	type first struct {
		path string
		line int
	}
	ids := map[string]first{}
	ports := map[int]first{}
	var known []string
	for i, ref := range r.nodes {
		n := s.Nodes[i]
		if ref.id != nil {
			at := entryAt(ref.use, ref.id)
			if f, dup := ids[n.ID]; dup {
				d.Errorf(at, ref.path+".id", "give every node its own id",
					"%s: duplicate node id %q (first defined on line %d, %s)", ref.path, yamldiag.Short(n.ID), f.line, f.path)
			} else {
				ids[n.ID] = first{ref.path, at.Line}
				known = append(known, n.ID)
			}
		}
		if ref.port != nil {
			at := entryAt(ref.use, ref.port)
			if f, dup := ports[n.Port]; dup {
				d.Warnf(at, ref.path+".port", "give every node its own port",
					"%s: port %d is also used by %s (line %d)", ref.path, n.Port, f.path, f.line)
			} else {
				ports[n.Port] = first{ref.path, at.Line}
			}
		}
	}

	links := map[[2]string]first{}
	for i, ref := range r.links {
		l := s.Network.Links[i]
		for _, end := range []struct {
			key, id string
			node    *yaml.Node
		}{{"src", l.Src, ref.src}, {"dst", l.Dst, ref.dst}} {
			if _, ok := ids[end.id]; ok || end.node == nil || len(r.nodes) == 0 || s.HasNode(end.id) {
				continue
			}
			hint := "known nodes: " + list(known)
			if s := d.suggestNode(SeverityError, end.id, known); s != "" {
				hint = "did you mean " + s + "? " + hint
			}
			d.Errorf(end.node, ref.path+"."+end.key, hint, "%s.%s names unknown node %q", ref.path, end.key, yamldiag.Short(end.id))
		}
		if ref.src == nil || ref.dst == nil {
			continue
		}
		dirs := [][2]string{{l.Src, l.Dst}}
		if l.Bidirectional && l.Src != l.Dst {
			dirs = append(dirs, [2]string{l.Dst, l.Src})
		}
		at := entryAt(ref.use, ref.src)
		for _, dir := range dirs {
			if f, dup := links[dir]; dup {
				d.Warnf(at, ref.path, "remove one of them",
					"%s: link %s->%s is also defined by %s (line %d); the last one wins, as in upstream",
					ref.path, yamldiag.Short(dir[0]), yamldiag.Short(dir[1]), f.path, f.line)
				continue
			}
			links[dir] = first{ref.path, at.Line}
		}
	}
}

// list joins ids for a hint, shortened for scenarios with thousands of nodes.
func list(ids []string) string {
	const maxIDs = 10
	if len(ids) <= maxIDs {
		return strings.Join(ids, ", ")
	}
	return strings.Join(ids[:maxIDs], ", ") + " and " + strconv.Itoa(len(ids)-maxIDs) + " more"
}

// modelFile checks that an ML model file exists, as upstream's parser does.
//
// Only the ML services read the file, and xedgesim does not run them, so
// the check could be skipped. It is kept: upstream fails a scenario whose
// model is missing, and a gate that passes where upstream fails would hide a
// broken scenario. The path resolves against the scenario's directory and,
// when nothing is there, against the working directory where upstream
// looks, with a note (see ResolvePath).
func (d *decoder) modelFile(n *yaml.Node, path, tier, p string) {
	full, fromWorkDir := ResolvePath(d.dir, p)
	_, err := os.Stat(full)
	if err == nil {
		if fromWorkDir {
			hint := "run from the directory the path starts in, as upstream does"
			if rel, err := filepath.Rel(d.dir, full); err == nil {
				hint = fmt.Sprintf("to make the scenario work from any directory, write model_path: %s", filepath.ToSlash(rel))
			}
			d.Warnf(n, path, hint, "%s", WorkDirNote(path, p, full))
		}
		return
	}
	if !errors.Is(err, fs.ErrNotExist) {
		d.Errorf(n, path, "", "checking %s ML model %s: %v", tier, p, err)
		return
	}
	d.Errorf(n, path, "create the file, or fix the path; relative paths resolve against the scenario's directory "+d.dir+", then the working directory", "%s ML model not found: %s", tier, p)
}
