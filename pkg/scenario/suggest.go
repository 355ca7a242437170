package scenario

import "github.com/xedgesim/simulate/internal/yamldiag"

// The "did you mean" searches over node ids one file can cost are
// bounded. Each compares the name with every id: a file of 20,000
// assertions naming unknown nodes among 20,000 nodes made 4e8 comparisons
// and took over five minutes to be refused. A search is made only for a
// diagnostic the decoder keeps (yamldiag's Room: the first hundred of
// each severity), and past a file's first search, 4 million ids are
// compared in all (about a second); past that the hint is the list of
// known nodes alone.
const maxNodesCompared = 4_000_000

// suggestNode is yamldiag.Suggest of word among the node ids for a
// diagnostic of sev, within the file's bounds.
func (d *decoder) suggestNode(sev yamldiag.Severity, word string, ids []string) string {
	if !d.Room(sev) || d.nodesCompared > 0 && d.nodesCompared+len(ids) > maxNodesCompared {
		return ""
	}
	d.nodesCompared += len(ids)
	return yamldiag.Suggest(word, ids)
}
