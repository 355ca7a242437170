package scenario

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/xedgesim/simulate/internal/yamldiag"
)

// Device groups: one entry of nodes declares many devices,
//
//	- {id: "sensor{i}", count: 1000000, type: sensor, config: {dst: gateway1}}
//
// as upstream planned with its devices: groups. The entry stays one Node
// (Count set, ID the template) so that a million devices cost one struct
// here; the run expands it. Instance ids are the template with {i}
// replaced by 1..Count, in that order, at the entry's place in the list.

// MaxGroupCount bounds count: ten million devices is far above the fleets
// a CI runner can simulate, and keeps every index in an int32.
const MaxGroupCount = 10_000_000

// groupPlaceholder is what an instance's number replaces in a group's id.
const groupPlaceholder = "{i}"

// IsGroup tells whether the entry declares a device group (count: given).
func (n Node) IsGroup() bool { return n.Count > 0 }

// Instances is how many nodes the entry stands for: Count for a group, 1
// otherwise.
func (n Node) Instances() int {
	if n.Count > 0 {
		return n.Count
	}
	return 1
}

// InstanceID returns the id of the group's i-th device, i from 1; for a
// single node, its id.
func (n Node) InstanceID(i int) string {
	if n.Count == 0 {
		return n.ID
	}
	pre, suf, _ := strings.Cut(n.ID, groupPlaceholder)
	return pre + strconv.Itoa(i) + suf
}

// Member returns which device of the group id is (from 1), if it is one.
func (n Node) Member(id string) (int, bool) {
	if n.Count == 0 {
		return 0, false
	}
	pre, suf, _ := strings.Cut(n.ID, groupPlaceholder)
	if len(id) <= len(pre)+len(suf) || !strings.HasPrefix(id, pre) || !strings.HasSuffix(id, suf) {
		return 0, false
	}
	num := id[len(pre) : len(id)-len(suf)]
	if num[0] == '0' || !digits(num) {
		return 0, false
	}
	i, err := strconv.Atoi(num)
	if err != nil || i < 1 || i > n.Count {
		return 0, false
	}
	return i, true
}

// NodeCount is the number of nodes the scenario runs, groups expanded.
// It is the one place that count is known before the run builds them:
// limits on the size of a scenario belong here.
func (s *Scenario) NodeCount() int {
	total := 0
	for _, n := range s.Nodes {
		total += n.Instances()
	}
	return total
}

// HasNode tells whether id is a node of the scenario, a group's device
// included.
func (s *Scenario) HasNode(id string) bool {
	for _, n := range s.Nodes {
		if n.ID == id && !n.IsGroup() {
			return true
		}
		if _, ok := n.Member(id); ok {
			return true
		}
	}
	return false
}

// groupMatches tells whether the glob g matches a device of some group. It
// tries the template itself, the first devices and the last: enough for
// the globs people write (sensor*, sensor1?), without expanding a million
// ids to check one scope.
func groupMatches(groups []Node, g string) bool {
	const probe = 100
	for _, n := range groups {
		if _, ok := n.Member(g); ok {
			return true
		}
		if m, _ := path.Match(g, n.ID); m {
			return true
		}
		for i := 1; i <= n.Count && i <= probe; i++ {
			if m, _ := path.Match(g, n.InstanceID(i)); m {
				return true
			}
		}
		if m, _ := path.Match(g, n.InstanceID(n.Count)); m {
			return true
		}
	}
	return false
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// count reads a node's count: key, which makes the entry a device group.
func (d *decoder) count(n *Node, m *yamldiag.Mapping, path, who string) {
	e, ok := m.Get("count")
	if !ok {
		return
	}
	c, ok := d.integer(e.Val, path+".count", "1000")
	if !ok {
		return
	}
	if c < 1 || c > MaxGroupCount {
		d.Errorf(e.Val, path+".count", fmt.Sprintf("write a count between 1 and %d", MaxGroupCount),
			"%s.count must be between 1 and %d, got %s", path, MaxGroupCount, yamldiag.Written(e.Val))
		return
	}
	if idE, ok := m.Get("id"); ok && n.ID != "" && strings.Count(n.ID, groupPlaceholder) != 1 {
		d.Errorf(idE.Val, path+".id", fmt.Sprintf("write id: \"%s{i}\"; {i} becomes 1..%d", strings.ReplaceAll(n.ID, groupPlaceholder, ""), c),
			"%s: a device group's id must contain {i} exactly once, got %q", who, yamldiag.Short(n.ID))
		return
	}
	if p, ok := m.Get("port"); ok {
		d.Errorf(p.Key, path+".port", "remove port:; a group's devices run as built-in models and need none",
			"%s: a device group (count) has no port", who)
	}
	if n.Implementation == ImplDocker || n.Implementation == ImplRenode {
		if ie, ok := m.Get("implementation"); ok {
			d.Errorf(ie.Val, path+".implementation", "declare docker and renode nodes one by one",
				"%s: a device group (count) runs built-in models or processes, not %s", who, n.Implementation)
		}
	}
	n.Count = int(c)
}

// checkGroups reports ids that name the same device twice: a single node
// whose id is some group's device, and two groups whose templates can make
// the same id. Overlap is decided from the templates alone (the literal
// parts around {i} leave only digits between them), so it costs nothing
// per device.
func (d *decoder) checkGroups(s *Scenario, r *refs) {
	var groups []int
	for i, n := range s.Nodes {
		if n.IsGroup() {
			groups = append(groups, i)
		}
	}
	if len(groups) == 0 {
		return
	}
	for i, n := range s.Nodes {
		if n.IsGroup() || i >= len(r.nodes) || r.nodes[i].id == nil {
			continue
		}
		for _, g := range groups {
			if k, ok := s.Nodes[g].Member(n.ID); ok {
				d.Errorf(entryAt(r.nodes[i].use, r.nodes[i].id), r.nodes[i].path+".id", "give every node its own id",
					"%s: node id %q is also device %d of the group %q (%s)", r.nodes[i].path, yamldiag.Short(n.ID), k, s.Nodes[g].ID, r.nodes[g].path)
			}
		}
	}
	for a := 0; a < len(groups); a++ {
		for b := a + 1; b < len(groups); b++ {
			ga, gb := s.Nodes[groups[a]], s.Nodes[groups[b]]
			if !mayOverlap(ga.ID, gb.ID) || groups[b] >= len(r.nodes) || r.nodes[groups[b]].id == nil {
				continue
			}
			ref := r.nodes[groups[b]]
			d.Errorf(entryAt(ref.use, ref.id), ref.path+".id", "give each group its own prefix, e.g. \"edge-a{i}\" and \"edge-b{i}\"",
				"%s: the group %q can name the same devices as the group %q (%s)", ref.path, yamldiag.Short(gb.ID), ga.ID, r.nodes[groups[a]].path)
		}
	}
}

// mayOverlap tells whether two group templates can produce the same id:
// each pair of literal parts must agree where both are written, and what
// one has beyond the other must be digits, which the other's number could
// spell.
func mayOverlap(a, b string) bool {
	ap, as, _ := strings.Cut(a, groupPlaceholder)
	bp, bs, _ := strings.Cut(b, groupPlaceholder)
	fits := func(x, y string, prefix bool) bool {
		if len(x) > len(y) {
			x, y = y, x
		}
		if prefix {
			return strings.HasPrefix(y, x) && (len(y) == len(x) || digits(y[len(x):]))
		}
		return strings.HasSuffix(y, x) && (len(y) == len(x) || digits(y[:len(y)-len(x)]))
	}
	return fits(ap, bp, true) && fits(as, bs, false)
}

// isGroup tells whether a node's mapping says count:, valid or not: a
// group needs no port, and a mistake in count is said once.
func isGroup(m *yamldiag.Mapping) bool {
	_, ok := m.Get("count")
	return ok
}

// deviceScope refuses an assertion scope that names one device of a group:
// the run reports a group as one row, so the scope would select nothing
// and the gate would fail for want of data. Faults may name one device.
func (d *decoder) deviceScope(groups []Node, path, key string, n *yaml.Node) {
	if !strings.HasPrefix(path, "validation") || strings.ContainsAny(n.Value, "*?[") {
		return
	}
	for _, g := range groups {
		if _, ok := g.Member(n.Value); ok {
			pre, suf, _ := strings.Cut(g.ID, groupPlaceholder)
			d.Errorf(n, path+"."+key, fmt.Sprintf("write %s: %q to assert over the group; its five worst devices are in the report", key, pre+"*"+suf),
				"%s.%s names %q, one device of the group %q; reports add a group's devices up, so the assertion would select nothing", path, key, yamldiag.Short(n.Value), g.ID)
			return
		}
	}
}
