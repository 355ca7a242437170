package manifest

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/xedgesim/simulate/pkg/deploy/compose"
)

// composeFile reads the compose file named at n and checks it as the
// host's compose tool would (package compose): what that tool would reject
// is bad input here, before any host is touched. Problems inside the file point into it.
func (d *decoder) composeFile(n *yaml.Node, m *Manifest) {
	c := m.Compose
	file := c.File
	if !filepath.IsAbs(file) {
		file = filepath.Join(m.Dir, file)
	}
	data, err := readManifestFile(file)
	if err != nil {
		d.Errorf(n, "", fileHint(err, "compose file"), "reading the compose file: %v", err)
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
	if name := m.Service.Name; compose.NormalizeProjectName(name) != name {
		d.Errorf(n, "", "use lower-case letters, digits, - and _", "service.name %s is not a compose project name", strconv.Quote(name))
		d.Add(cf.Diagnostics()...)
		return
	}
	for _, p := range compose.Check(root, file, m.Service.Name, lookupEnv) {
		msg := p.Message
		if !p.UnknownKey {
			msg = "the compose file is not valid: " + msg
		}
		cf.Errorf(p.Node, "", "", "%s", msg)
	}
	d.Add(cf.Diagnostics()...)
}

// lookupEnv gives ${VAR} the manifest reader's environment. Variables are
// the host's business: unset ones are blank here, quietly, rather than
// warned about.
func lookupEnv(k string) (string, bool) {
	v, _ := os.LookupEnv(k)
	return v, true
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
