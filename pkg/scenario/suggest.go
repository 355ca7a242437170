package scenario

import "github.com/xedgesim/simulate/internal/yamldiag"

// The "did you mean" searches over node ids one file can cost are
// bounded. Each compares the name with every id: a file of 20,000
// assertions naming unknown nodes among 20,000 nodes made 4e8 comparisons
// and took over five minutes to be refused, for messages of which the
// decoder keeps the first hundred (yamldiag). A file gets at most a
// hundred searches and, past its first, 4 million ids compared in all
// (about a second); past that the hint is the list of known nodes alone.
const (
	maxNodeSuggestions = 100
	maxNodesCompared   = 4_000_000
)

// suggestNode is yamldiag.Suggest of word among the node ids, within the
// file's bounds.
func (d *decoder) suggestNode(word string, ids []string) string {
	if d.nodeSuggestions > 0 && (d.nodeSuggestions >= maxNodeSuggestions || d.nodesCompared+len(ids) > maxNodesCompared) {
		return ""
	}
	d.nodeSuggestions++
	d.nodesCompared += len(ids)
	return yamldiag.Suggest(word, ids)
}
