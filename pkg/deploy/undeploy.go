package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/xedgesim/simulate/pkg/deploy/manifest"
	"github.com/xedgesim/simulate/pkg/deploy/transport"
)

// HostUndeploy is what Undeploy removed from one host.
type HostUndeploy struct {
	Host string `json:"host"`
	// Removed lists what went: container NAME, image REF, file PATH,
	// directory PATH, program NAME.
	Removed []string `json:"removed"`
	Error   string   `json:"error,omitempty"`
	err     error
}

// Undeploy removes the service and what deploy left for it from the
// manifest's hosts (or those WithHosts names), all at once: its
// containers (those a killed deploy left too), the images deploy sent or
// pulled for it that nothing else uses, its files and their stored
// versions, the compose project or the native program and its releases.
// A host where nothing of the service is left is no error. err is a
// *FailedError when a host failed.
func Undeploy(ctx context.Context, m *manifest.Manifest, opts ...Option) ([]HostUndeploy, error) {
	o := makeOptions(opts)
	hosts, err := selectHosts(m, o.hosts)
	if err != nil {
		return nil, err
	}
	reps := make([]HostUndeploy, len(hosts))
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reps[i] = HostUndeploy{Host: h.Name}
			reps[i].Removed, reps[i].err = undeployHost(ctx, m, h, o)
			if reps[i].err != nil {
				reps[i].Error = reps[i].err.Error()
			}
			o.progress.Report(Event{Host: h.Name, Step: "done", Message: fmt.Sprintf("removed %d item(s)", len(reps[i].Removed))})
		}()
	}
	wg.Wait()
	fe := &FailedError{}
	for _, r := range reps {
		if r.err == nil {
			continue
		}
		var hk *transport.HostKeyError
		if errors.As(r.err, &hk) {
			return reps, r.err
		}
		fe.Failed = append(fe.Failed, r.Host)
		fe.Errs = append(fe.Errs, fmt.Errorf("%s: %w", r.Host, r.err))
	}
	if len(fe.Failed) > 0 {
		return reps, fe
	}
	return reps, nil
}

func undeployHost(ctx context.Context, m *manifest.Manifest, h manifest.Host, o options) ([]string, error) {
	s, err := strategyFor(m)
	if err != nil {
		return nil, err
	}
	c, err := connect(ctx, m, h, o)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	o.progress.Report(Event{Host: h.Name, Step: "undeploy", Message: "removing " + m.Service.Name})
	removed, err := s.undeploy(ctx, c)
	if err != nil {
		return removed, err
	}
	files, err := removeFiles(ctx, c, m)
	return append(removed, files...), err
}

// removedLines reads the lines a removal script printed, "KIND WHAT".
func removedLines(out string) []string {
	var r []string
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			r = append(r, l)
		}
	}
	return r
}

// removeImages is a script that removes the service's containers (ids
// in $ids) and then the images deploy tagged for it, and those the
// containers ran that nothing else uses (docker refuses to remove an
// image another container uses or another tag names).
func removeImages(service string) string {
	return `imgs=$(for i in $ids; do docker inspect -f '{{.Image}}' "$i"; done | sort -u)
for i in $ids; do n=$(docker inspect -f '{{.Name}}' "$i") && docker rm -f "$i" >/dev/null && echo "container ${n#/}"; done
for r in $(docker images --format '{{.Repository}}:{{.Tag}}' ` + transport.Quote("xedgesim.local/"+service) + `); do docker image rm "$r" >/dev/null 2>&1 && echo "image $r"; done
for i in $imgs; do docker image inspect "$i" >/dev/null 2>&1 && docker image rm "$i" >/dev/null 2>&1 && echo "image $i"; done
true
`
}

func (cs *containerStrategy) undeploy(ctx context.Context, c hostConn) ([]string, error) {
	script := "ids=$(" + shell("docker", "ps", "-aq", "--no-trunc", "--filter", "label="+LabelService+"="+cs.m.Service.Name) + ") || exit 1\n" + removeImages(cs.m.Service.Name)
	out, err := c.Run(ctx, script, nil)
	if err != nil {
		return nil, fmt.Errorf("removing the service's containers and images: %w", err)
	}
	return removedLines(out), nil
}

func (cs *composeStrategy) undeploy(ctx context.Context, c hostConn) ([]string, error) {
	cm, s := cs.m.Compose, cs.m.Service
	file, prev := cs.files()
	q := transport.Quote
	script := "ids=$(" + shell("docker", "ps", "-aq", "--no-trunc", "--filter", "label=com.docker.compose.project="+s.Name) + ") || exit 1\n" +
		"if [ -f " + q(file) + " ]; then (" + composeCmd(s.Name, cm.Dir, "down", "--remove-orphans") + ") >/dev/null 2>&1; fi\n" +
		removeImages(s.Name) +
		"for f in " + q(file) + " " + q(prev) + "; do [ -f \"$f\" ] && rm -f \"$f\" && echo \"file $f\"; done\n" +
		"rmdir " + q(cm.Dir) + " 2>/dev/null && echo " + q("directory "+cm.Dir) + "\ntrue"
	out, err := c.Run(ctx, script, nil)
	if err != nil {
		return nil, fmt.Errorf("removing the compose project: %w", err)
	}
	return removedLines(out), nil
}

func (ns *nativeStrategy) undeploy(ctx context.Context, c hostConn) ([]string, error) {
	nat, s := ns.m.Native, ns.m.Service
	sup := newSupervisor(nat, s.Name)
	var removed []string
	if _, ok, err := readFile(ctx, c, sup.confPath()); err != nil {
		return nil, err
	} else if ok {
		if err := sup.remove(ctx, c); err != nil {
			return nil, fmt.Errorf("stopping the program: %w", err)
		}
		removed = append(removed, "program "+s.Name)
	}
	q := transport.Quote
	script := "for f in current releases log service.env; do p=" + q(nat.Dir) + "/$f; if [ -e \"$p\" ] || [ -L \"$p\" ]; then rm -rf \"$p\" && echo \"directory $p\"; fi; done\n" +
		"rmdir " + q(nat.Dir) + " 2>/dev/null && echo " + q("directory "+nat.Dir) + "\ntrue"
	out, err := c.Run(ctx, script, nil)
	if err != nil {
		return removed, fmt.Errorf("removing the program's releases: %w", err)
	}
	return append(removed, removedLines(out)...), nil
}

// removeFiles removes the service's files and their stored versions.
func removeFiles(ctx context.Context, c hostConn, m *manifest.Manifest) ([]string, error) {
	var b strings.Builder
	for _, f := range m.Service.Files {
		q := transport.Quote(f.Dst)
		fmt.Fprintf(&b, "if [ -f %s ]; then rm -f %s && echo %s; fi\n", q, q, transport.Quote("file "+f.Dst))
	}
	dir := storeDir(m.Service.Name)
	fmt.Fprintf(&b, "if [ -d %s ]; then rm -rf %s && echo \"directory $HOME/.xedgesim/\"%s; fi\nrmdir \"$HOME\"/.xedgesim 2>/dev/null; true", dir, dir, transport.Quote(m.Service.Name))
	out, err := c.Run(ctx, b.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("removing the service's files: %w", err)
	}
	return removedLines(out), nil
}
