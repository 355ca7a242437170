package actionmeta

import (
	"fmt"
	"regexp"
	"strings"
)

// Table renders an action's inputs and outputs as the Markdown tables the
// README shows, so the README is generated from the action files rather than
// kept in step by hand.
func Table(a *Action) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| input | required | default | description |\n|---|---|---|---|\n")
	for _, in := range a.Inputs {
		def := ""
		if in.HasDefault && in.Default != "" {
			def = "`" + in.Default + "`"
		}
		req := ""
		if in.Required {
			req = "yes"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", in.ID, req, def, cell(in.Description))
	}
	if len(a.Outputs) > 0 {
		fmt.Fprintf(&b, "\n| output | description |\n|---|---|\n")
		for _, out := range a.Outputs {
			fmt.Fprintf(&b, "| `%s` | %s |\n", out.ID, cell(out.Description))
		}
	}
	return b.String()
}

// cell makes a description fit one table cell.
func cell(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.ReplaceAll(s, "|", `\|`)
}

// tableBlock matches a generated block in the README:
//
//	<!-- action-table: actions/build/action.yml -->
//	...
//	<!-- end action-table -->
var tableBlock = regexp.MustCompile(`(?s)<!-- action-table: (\S+) -->\n.*?<!-- end action-table -->`)

// RenderTables replaces every generated block of readme with the table of
// the action file it names (relative to the repository root), read by load.
func RenderTables(readme string, load func(path string) (*Action, error)) (string, error) {
	var err error
	out := tableBlock.ReplaceAllStringFunc(readme, func(block string) string {
		path := tableBlock.FindStringSubmatch(block)[1]
		a, lerr := load(path)
		if lerr != nil {
			err = fmt.Errorf("rendering the table of %s: %w", path, lerr)
			return block
		}
		return "<!-- action-table: " + path + " -->\n" + Table(a) + "<!-- end action-table -->"
	})
	return out, err
}
