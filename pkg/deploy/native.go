package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/xedgesim/simulate/pkg/deploy/manifest"
	"github.com/xedgesim/simulate/pkg/deploy/transport"
)

// On the host, the native strategy keeps DIR/releases/VERSION/BINARY (one
// directory per platform manifest, with release.json saying what it is),
// DIR/current -> releases/VERSION, and DIR/log. Switching and rolling back
// swap the symlink; the supervisor runs DIR/current/BINARY.

// release is DIR/releases/VERSION/release.json.
type release struct {
	Digest         string `json:"digest"`          // the deployed reference's digest
	PlatformDigest string `json:"platform_digest"` // the host's platform manifest
	DeployID       string `json:"deploy_id"`
	Binary         string `json:"binary"` // its path in the image
	SHA256         string `json:"sha256"` // of the binary
	// Spec hashes the service's settings and files (see serviceSpec).
	Spec string `json:"spec,omitempty"`
}

// nativeStrategy is strategy native: the program, taken out of the
// platform image, installed as a release and run by the host's supervisor.
type nativeStrategy struct {
	m *manifest.Manifest
	// What rollback needs: the release the deploy installed (version), the
	// link's previous target ("" on a first deploy), the program section
	// before and after, and whether there was one before.
	version, oldTarget string
	oldConf, conf      string
	hadConf            bool
	// The systemd environment file before the deploy, for rollback.
	oldEnv string
	hadEnv bool
	// same says the host already ran what the deploy asked: nothing was
	// changed, so there is nothing to roll back.
	same bool
}

func (ns *nativeStrategy) deploy(ctx context.Context, d *hostDeploy, platform string, desc v1.Descriptor) error {
	c, nat, s := d.c, ns.m.Native, ns.m.Service
	img, err := d.platformImage(ctx, platform, desc)
	if err != nil {
		return err
	}
	sup := newSupervisor(nat, s.Name)
	if err := sup.check(ctx, c); err != nil {
		return err
	}
	binary, args, err := nativeCommand(img, nat.Binary, s.Command)
	if err != nil {
		return err
	}
	if err := checkImageCommand(ns.m, binary, args); err != nil {
		return err
	}
	d.event("transfer", "taking %s out of the %s image", binary, platform)
	f, sum, size, err := extractFile(img, binary)
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()

	ns.version = strings.TrimPrefix(desc.Digest.String(), "sha256:")[:16]
	relDir := ns.relDir()
	exe := relDir + "/" + path.Base(binary)
	current := nat.Dir + "/current"

	// What runs now, to go back to.
	oldTarget, err := c.Run(ctx, "readlink "+transport.Quote(current)+" || true", nil)
	if err != nil {
		return fmt.Errorf("reading %s: %w", current, err)
	}
	ns.oldTarget = strings.TrimSpace(oldTarget)
	if ns.oldConf, ns.hadConf, err = readFile(ctx, c, sup.confPath()); err != nil {
		return err
	}
	if ns.oldEnv, ns.hadEnv, err = readFile(ctx, c, envFilePath(nat)); err != nil {
		return err
	}
	r, _ := readRelease(ctx, c, current)
	if r != nil {
		d.rep.OldDigest = r.Digest
	}
	spec := serviceSpec(ns.m, d.h)
	p := program{name: s.Name, command: append([]string{current + "/" + path.Base(binary)}, args...), dir: current,
		env: ns.m.HostEnv(d.h), envFile: envFilePath(nat), restart: s.Restart, logDir: nat.Dir + "/log", memory: s.Memory, cpus: s.CPUs}
	ns.conf = sup.conf(p, d.o.deployID, d.im.digest)
	if ns.runsAlready(ctx, d, sup, r, desc.Digest.String(), sum, spec) {
		ns.same = true
		d.unchanged("the program " + s.Name)
		return nil
	}

	// The binary, unless this release is already there.
	have, _ := c.Run(ctx, "sha256sum "+transport.Quote(exe)+" 2>/dev/null | cut -d' ' -f1", nil)
	if strings.TrimSpace(have) != sum {
		if _, err := c.Run(ctx, "mkdir -p "+transport.Quote(relDir)+" "+transport.Quote(nat.Dir+"/log"), nil); err != nil {
			return fmt.Errorf("creating %s: %w", relDir, err)
		}
		d.event("transfer", "sending %d bytes", size)
		err := c.Upload(ctx, f, size, exe, "0755", func(n int64) {
			d.o.progress.Report(Event{Host: d.h.Name, Step: "transfer", Bytes: n, Total: size})
		})
		if err != nil {
			return err
		}
		d.rep.BytesSent += size
	}
	rel, _ := json.MarshalIndent(release{Digest: d.im.digest, PlatformDigest: desc.Digest.String(), DeployID: d.o.deployID, Binary: binary, SHA256: sum, Spec: spec}, "", "  ")
	if err := writeFile(ctx, c, relDir+"/release.json", string(rel)+"\n", "0644"); err != nil {
		return err
	}
	if err := d.files(ctx); err != nil {
		return err
	}

	undo := func(cause error) error {
		if ns.oldTarget == "" {
			// Nothing ran before: the program's own log says why it failed.
			cause = fmt.Errorf("%w (its output is in %s)", cause, p.logDir)
		}
		return d.undoFailed(ctx, cause, ns.oldTarget != "", ns.rollback)
	}
	d.event("switch", "%s -> releases/%s", current, ns.version)
	if err := swapLink(ctx, c, current, "releases/"+ns.version); err != nil {
		return undo(err)
	}
	if err := ns.writeEnv(ctx, c, p.env); err != nil {
		return undo(err)
	}
	if err := writeFile(ctx, c, sup.confPath(), ns.conf, sup.confMode()); err != nil {
		return undo(err)
	}
	d.event("create", "starting %s with %s", s.Name, nat.Supervisor)
	if err := sup.apply(ctx, c, ns.hadConf && ns.oldConf == ns.conf); err != nil {
		return undo(err)
	}
	d.event("health", "waiting up to %s for %s", s.Health.Timeout, s.Health.Kind())
	err = poll(ctx, s.Health.Timeout, s.Health.Interval, s.Health.Kind()+" check", func(ctx context.Context) (bool, error) {
		st, err := sup.status(ctx, c)
		if err != nil {
			return false, err
		}
		if st.failed {
			return fatal(fmt.Errorf("%s is %s", s.Name, st.state))
		}
		// A program that answers before supervisord's startsecs passed
		// is still STARTING: one that exits then is restarted or given
		// up on, so it counts as started only once the supervisor says so.
		if !st.running {
			return false, fmt.Errorf("%s is %s", s.Name, st.state)
		}
		err = probe(ctx, c, s.Health)
		return err == nil, err
	})
	if err != nil {
		return undo(&HealthError{Host: d.h.Name, Err: err})
	}
	d.pruneReleases(ctx, nat, ns.version, ns.oldTarget)
	d.pruneFiles(ctx)
	d.rep.Result = ResultDeployed
	return nil
}

func (ns *nativeStrategy) relDir() string { return ns.m.Native.Dir + "/releases/" + ns.version }

// rollback puts back what ran before: the previous release and program
// section, or no program at all (its log stays: it says why the program
// failed).
func (ns *nativeStrategy) rollback(ctx context.Context, d *hostDeploy) error {
	c, nat := d.c, ns.m.Native
	sup := newSupervisor(nat, ns.m.Service.Name)
	current, relDir := nat.Dir+"/current", ns.relDir()
	if ns.same {
		return nil
	}
	if err := d.restoreFiles(ctx); err != nil {
		return err
	}
	if ns.oldTarget == "" {
		err := errors.Join(sup.remove(ctx, c), runErr(c.Run(ctx, "rm -rf "+transport.Quote(current)+" "+transport.Quote(relDir)+" "+transport.Quote(envFilePath(nat))+" && { rmdir "+transport.Quote(nat.Dir+"/releases")+" 2>/dev/null || true; }", nil)))
		if err != nil {
			return fmt.Errorf("removing the program: %w", err)
		}
		return nil
	}
	err := swapLink(ctx, c, current, ns.oldTarget)
	if err == nil && nat.Supervisor == manifest.SupervisorSystemd {
		err = ns.restoreEnv(ctx, c)
	}
	if err == nil && ns.hadConf {
		err = writeFile(ctx, c, sup.confPath(), ns.oldConf, sup.confMode())
	}
	if err == nil {
		err = sup.apply(ctx, c, ns.hadConf && ns.oldConf == ns.conf)
	}
	if err == nil {
		err = waitRunning(ctx, c, sup, ns.m.Service.Health)
	}
	if err != nil {
		return fmt.Errorf("going back to %s: %w", ns.oldTarget, err)
	}
	if "releases/"+ns.version != ns.oldTarget {
		_, _ = c.Run(ctx, "rm -rf "+transport.Quote(relDir), nil) // the old release is back; a leftover release dir only takes space
	}
	return nil
}

// commit has nothing to drop: the previous release stays (keep >= 2).
func (ns *nativeStrategy) commit(context.Context, *hostDeploy) error { return nil }

// pruneReleases keeps the current release, the previous one, and the
// newest others up to nat.Keep in all: the hosts this strategy is for are
// short of disk.
func (d *hostDeploy) pruneReleases(ctx context.Context, nat *manifest.Native, version, previous string) {
	kept := []string{"-e", version}
	if p := strings.TrimPrefix(previous, "releases/"); p != "" && p != version {
		kept = append(kept, "-e", p)
	}
	script := fmt.Sprintf("cd %s/releases && ls -1t | grep -vx %s | tail -n +%d | xargs -r rm -rf",
		transport.Quote(nat.Dir), shell(kept...), max(nat.Keep-len(kept)/2, 0)+1)
	if _, err := d.c.Run(ctx, script, nil); err != nil {
		d.event("done", "pruning old releases: %v", err)
	}
}

func runErr(_ string, err error) error { return err }

// swapLink points link at target with a rename, so the link always exists.
func swapLink(ctx context.Context, c hostConn, link, target string) error {
	tmp := link + ".xedgesim-new"
	if _, err := c.Run(ctx, "ln -sfn "+transport.Quote(target)+" "+transport.Quote(tmp)+" && mv -Tf "+transport.Quote(tmp)+" "+transport.Quote(link), nil); err != nil {
		return fmt.Errorf("pointing %s at %s: %w", link, target, err)
	}
	return nil
}

func readRelease(ctx context.Context, c hostConn, current string) (*release, error) {
	data, ok, err := readFile(ctx, c, current+"/release.json")
	if err != nil || !ok {
		return nil, err
	}
	var r release
	if err := json.Unmarshal([]byte(data), &r); err != nil {
		return nil, fmt.Errorf("reading %s/release.json: %w", current, err)
	}
	return &r, nil
}

// verify checks the program: the supervisor runs it with the same pid over
// the window, the installed binary is the release of the wanted digest
// (its checksum checked on the host), and the probe passes.
func (ns *nativeStrategy) verify(ctx context.Context, c hostConn, want string) (HostCheck, error) {
	var hc HostCheck
	nat, h := ns.m.Native, ns.m.Service.Health
	sup := newSupervisor(nat, ns.m.Service.Name)
	current := nat.Dir + "/current"
	r, err := readRelease(ctx, c, current)
	if err != nil || r == nil {
		return hc, orCheckError(err, "nothing is installed at %s", current)
	}
	hc.Digest = r.Digest
	sum, err := c.Run(ctx, "sha256sum "+transport.Quote(current+"/"+path.Base(r.Binary))+" | cut -d' ' -f1", nil)
	if err != nil {
		return hc, fmt.Errorf("checking the binary: %w", err)
	}
	hc.DigestMatches = r.Digest == want && strings.TrimSpace(sum) == r.SHA256
	first, err := sup.status(ctx, c)
	if err != nil {
		return hc, err
	}
	if err := sleep(ctx, h.Window); err != nil {
		return hc, err
	}
	second, err := sup.status(ctx, c)
	if err != nil {
		return hc, err
	}
	hc.Running = first.running && second.running
	hc.RestartsStable = first.pid != 0 && first.pid == second.pid
	return finishCheck(ctx, c, hc, h, want, checked{what: "the program", is: "is"})
}

// envFilePath is the systemd unit's EnvironmentFile: DIR/service.env,
// beside the releases. supervisord keeps env in its own (0600) section.
func envFilePath(nat *manifest.Native) string { return nat.Dir + "/service.env" }

// writeEnv writes the environment file (0600: it may hold secrets) that
// the systemd unit names, or removes it when there is no env.
func (ns *nativeStrategy) writeEnv(ctx context.Context, c hostConn, env map[string]string) error {
	nat := ns.m.Native
	if nat.Supervisor != manifest.SupervisorSystemd {
		return nil
	}
	if len(env) == 0 {
		_, err := c.Run(ctx, "rm -f "+transport.Quote(envFilePath(nat)), nil)
		return err
	}
	return writeFile(ctx, c, envFilePath(nat), "# Written by xedgesim deploy: the environment of "+ns.m.Service.Name+".\n"+systemdEnvFile(env), "0600")
}

// restoreEnv puts back the environment file the deploy replaced.
func (ns *nativeStrategy) restoreEnv(ctx context.Context, c hostConn) error {
	if !ns.hadEnv {
		_, err := c.Run(ctx, "rm -f "+transport.Quote(envFilePath(ns.m.Native)), nil)
		return err
	}
	return writeFile(ctx, c, envFilePath(ns.m.Native), ns.oldEnv, "0600")
}

// checkImageCommand refuses a program or arguments taken from the image
// (its entrypoint and Cmd) that the supervisor's config could not carry
// on one line; the manifest's own command was checked at load.
func checkImageCommand(m *manifest.Manifest, binary string, args []string) error {
	for i, w := range append([]string{binary}, args...) {
		if c := manifest.ControlChar(w); c != "" {
			what := "the program path"
			if i > 0 {
				what = fmt.Sprintf("argument %d", i)
			}
			return &InputError{fmt.Errorf("%s: the image's command: %s has %s; set service.command", m.ImagePos, what, c)}
		}
	}
	return nil
}
