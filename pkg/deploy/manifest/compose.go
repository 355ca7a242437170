package manifest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v3"
)

// composeFile reads the compose file named at n and checks it with
// compose-go: what the host's compose tool would reject is bad input here,
// before any host is touched. Problems inside the file point into it.
func (d *decoder) composeFile(n *yaml.Node, m *Manifest) {
	c := m.Compose
	file := c.File
	if !filepath.IsAbs(file) {
		file = filepath.Join(m.Dir, file)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		hint := ""
		if errors.Is(err, fs.ErrNotExist) {
			hint = "the path is relative to the manifest's directory"
		}
		d.Errorf(n, "", hint, "reading the compose file: %v", err)
		return
	}
	c.Data = data
	cf := newDecoder(file)
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		cf.SyntaxError(data, err)
		d.Add(cf.Diagnostics()...)
		return
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		d.Errorf(n, "", "write services: {...}", "the compose file %s is not a mapping", c.File)
		return
	}
	root := doc.Content[0]
	services := mapValue(root, "services")
	svc := mapValue(services, c.Service)
	if svc == nil {
		var names []string
		if services != nil && services.Kind == yaml.MappingNode {
			for i := 0; i < len(services.Content); i += 2 {
				names = append(names, services.Content[i].Value)
			}
		}
		sort.Strings(names)
		d.Errorf(n, "", "its services: "+strings.Join(names, ", ")+"; set strategy.compose.service to the one that runs the image", "the compose file %s has no service %s", c.File, strconv.Quote(c.Service))
		return
	}
	if b := mapKey(svc, "build"); b != nil {
		cf.Errorf(b, "", "remove build: (the deploy pins image: to the digest)", "service %s builds its image; a deploy runs the image it was given", c.Service)
	}
	if name := m.Service.Name; loader.NormalizeProjectName(name) != name {
		d.Errorf(n, "", "use lower-case letters, digits, - and _", "service.name %s is not a compose project name", strconv.Quote(name))
		d.Add(cf.Diagnostics()...)
		return
	}
	var model map[string]any
	if err := root.Decode(&model); err != nil {
		cf.Errorf(root, "", "", "reading the compose file: %v", err)
	} else if err := loadCompose(file, m.Service.Name, model); err != nil {
		cf.Errorf(composeErrorNode(root, err), "", "", "%s", composeMessage(file, err))
	}
	d.Add(cf.Diagnostics()...)
}

// loadCompose has compose-go load and check the model as the host's
// compose tool would, without reading env files or printing warnings.
func loadCompose(file, project string, model map[string]any) error {
	// compose-go warns (through a global logger) about version:; it is
	// obsolete and ignored by both compose tools.
	delete(model, "version")
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
		// Variables are the host's business: unset ones are blank here,
		// quietly, rather than warned about.
		if o.Interpolate != nil {
			o.Interpolate.LookupValue = func(k string) (string, bool) {
				v, _ := os.LookupEnv(k)
				return v, true
			}
		}
	})
	return err
}

// composePath finds the dotted path compose-go's validation names, such as
// services.app.ports.
var composePath = regexp.MustCompile(`\b((?:services|networks|volumes|configs|secrets|name)(?:\.[^\s.:]+)*)`)

func composeMessage(file string, err error) string {
	msg := strings.TrimPrefix(err.Error(), "validating "+file+": ")
	// The schema says "services.app.imagee false schema" for an unknown key.
	if p, ok := strings.CutSuffix(msg, " false schema"); ok {
		if i := strings.LastIndex(p, "."); i > 0 {
			return fmt.Sprintf("unknown key %q in %s", p[i+1:], p[:i])
		}
	}
	return "the compose file is not valid: " + msg
}

// composeErrorNode is the node the error's path names, or the root.
func composeErrorNode(root *yaml.Node, err error) *yaml.Node {
	m := composePath.FindStringSubmatch(err.Error())
	if m == nil {
		return root
	}
	n, best := root, root
	for _, k := range strings.Split(m[1], ".") {
		switch n.Kind {
		case yaml.MappingNode:
			v := mapValue(n, k)
			if v == nil {
				return best
			}
			best = mapKey(n, k)
			n = v
		case yaml.SequenceNode:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(n.Content) {
				return best
			}
			n = n.Content[i]
			best = n
		default:
			return best
		}
	}
	return best
}

func mapKey(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i]
		}
	}
	return nil
}
