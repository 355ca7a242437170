package manifest

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"strconv"
	"text/template"

	"go.yaml.in/yaml/v3"

	"github.com/xedgesim/simulate/internal/ident"
	"github.com/xedgesim/simulate/internal/readlimit"
	"github.com/xedgesim/simulate/internal/yamldiag"
)

// stringMap reads a mapping of names to strings (env: or vars:); env
// names and values are checked as service.env's are.
func (d *decoder) stringMap(f field, what string, env bool) map[string]string {
	if f.Val == nil {
		return nil
	}
	n := f.Val
	if n.Kind != yaml.MappingNode {
		d.Errorf(n, "", "", "%s must be a mapping of NAME: value, got %s", what, yamldiag.Describe(n))
		return nil
	}
	if env {
		d.checkEnv(n, what)
	}
	out := map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			d.Errorf(v, "", "", "%s.%s must be a string, got %s", what, k.Value, yamldiag.Describe(v))
			continue
		}
		if !env && !varName().MatchString(k.Value) {
			d.Errorf(k, "", "use letters, digits and _ (templates write {{.Vars.NAME}})", "%s: %q is not a valid name", what, k.Value)
		}
		out[k.Value] = v.Value
	}
	return out
}

var varName = lazyRegexp(`^[A-Za-z_][A-Za-z0-9_]*$`)

// HostEnv is the service's env on h: the service's, overridden by the
// host's own.
func (m *Manifest) HostEnv(h Host) map[string]string {
	if len(h.Env) == 0 {
		return m.Service.Env
	}
	env := maps.Clone(m.Service.Env)
	if env == nil {
		env = map[string]string{}
	}
	maps.Copy(env, h.Env)
	return env
}

// HostVars are the vars h's templates see: the manifest's, overridden by
// the host's own.
func (m *Manifest) HostVars(h Host) map[string]string {
	vars := maps.Clone(m.Vars)
	if vars == nil {
		vars = map[string]string{}
	}
	maps.Copy(vars, h.Vars)
	return vars
}

// TemplateData is what a templated file is rendered with.
type TemplateData struct {
	Host struct{ Name, Address string }
	Vars map[string]string
}

func (m *Manifest) Render(f File, h Host) ([]byte, error) {
	src := f.Src
	if !filepath.IsAbs(src) {
		src = filepath.Join(m.Dir, src)
	}
	// A regular file within MaxCopySize, opened without blocking on a FIFO.
	data, err := readlimit.ReadFile(src, MaxCopySize)
	if err != nil {
		return nil, err
	}
	if !f.Template {
		return data, nil
	}
	t, err := template.New(f.Src).Option("missingkey=error").Parse(string(data))
	if err != nil {
		return nil, err
	}
	var td TemplateData
	td.Host.Name, td.Host.Address, td.Vars = h.Name, h.Address, m.HostVars(h)
	var b bytes.Buffer
	if err := t.Execute(&limitWriter{w: &b, n: MaxCopySize}, td); err != nil {
		return nil, fmt.Errorf("rendering for host %s: %w", strconv.Quote(h.Name), err)
	}
	return b.Bytes(), nil
}

type limitWriter struct {
	w io.Writer
	n int64
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > l.n {
		return 0, fmt.Errorf("the rendered file is larger than %s", readlimit.Size(MaxCopySize))
	}
	l.n -= int64(len(p))
	return l.w.Write(p)
}

// CheckFiles reads every files: source, and renders every template for
// every host, so that a deploy (and --dry-run) stops before it sends
// anything when one is missing or broken. The error is an *Error (exit 3)
// naming each file's line in the manifest.
func (m *Manifest) CheckFiles() error {
	var diags []Diagnostic
	for i, f := range m.Service.Files {
		hosts := m.Hosts
		if !f.Template || len(hosts) == 0 {
			hosts = []Host{{}}
		}
		for _, h := range hosts {
			if _, err := m.Render(f, h); err != nil {
				hint := "the path is relative to the manifest's directory"
				if f.Template {
					hint = "a template sees {{.Host.Name}}, {{.Host.Address}} and {{.Vars.NAME}} (vars: at the top or on the host)"
				}
				diags = append(diags, Diagnostic{Pos: f.Pos, Message: fmt.Sprintf("service.files[%d] (%s): %v", i, f.Src, err), Hint: hint})
				break
			}
		}
	}
	if len(diags) == 0 {
		return nil
	}
	return yamldiag.NewError(diags, fmt.Errorf("checking the manifest's files: %s", diags[0].Message))
}

// network reads service.network: an existing Docker network's name, or
// host (the host's own network stack, where ports mean nothing).
func (d *decoder) network(f field, s *Service) {
	if f.Val == nil {
		return
	}
	s.Network = d.str(f, "service.network")
	switch {
	case !ident.Valid(s.Network):
		d.Errorf(f.Val, "", "write the name of a network that exists on the hosts (docker network ls), or host", "service.network %s is not a network name", strconv.Quote(s.Network))
	case s.Network == "host" && len(s.Ports) > 0:
		d.Errorf(f.Key, "", "remove ports: the service binds the host's ports itself", "service.ports do not apply with network: host")
	}
}
