package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/xedgesim/simulate/pkg/deploy/manifest"
	"github.com/xedgesim/simulate/pkg/deploy/transport"
)

// containerStrategy is strategy container: the image goes to the host's
// engine and the service's container is replaced by one of the new image.
type containerStrategy struct {
	m *manifest.Manifest
	// old is the container the deploy replaced (nil on a first deploy),
	// newID the one it created: what rollback and commit work on.
	old   *container
	newID string
	// same says the host already ran what the deploy asked: nothing was
	// changed, so there is nothing to roll back or commit.
	same bool
	// releases are the image references the new container keeps
	// (LabelReleases): the images that stay once the deploy is final.
	releases string
}

func (cs *containerStrategy) deploy(ctx context.Context, d *hostDeploy, platform string, desc v1.Descriptor) error {
	old, err := inspect(ctx, d.c, cs.m.Service.Name)
	if err != nil {
		return err
	}
	if old != nil {
		d.rep.OldDigest = old.Config.Labels[LabelDigest]
	}
	if err := removeLeftovers(ctx, d.c, cs.m.Service.Name, old); err != nil {
		return err
	}
	spec := serviceSpec(cs.m, d.h)
	if runsAlready(old, d.im.digest, desc.Digest.String(), spec) {
		cs.same = true
		d.unchanged("the container " + old.Name)
		return nil
	}
	imageRef, imageID, err := d.transferImage(ctx, platform, desc)
	if err != nil {
		return err
	}
	if err := d.files(ctx); err != nil {
		return err
	}
	cs.old = old
	labels := d.labels(desc.Digest.String(), imageID)
	labels[LabelSpec] = spec
	labels[LabelReleases] = releaseList(old, imageRef, cs.m.Rollout.Keep)
	cs.releases = labels[LabelReleases]
	return cs.replace(ctx, d, platform, imageRef, labels)
}

// replace creates the new container; while the old one serves, it first
// checks the new release as a candidate on ephemeral ports (switch.go),
// then switches over and checks again; on failure it puts the old one
// back.
func (cs *containerStrategy) replace(ctx context.Context, d *hostDeploy, platform, imageRef string, labels map[string]string) error {
	c, s, old := d.c, cs.m.Service, cs.old
	env := cs.m.HostEnv(d.h)
	// create creates a container of the new release: the service's (with
	// its published ports) or the candidate (with ephemeral ones).
	create := func(name string, ports []string, extra ...string) (string, error) {
		restart := s.Restart
		if len(extra) > 0 {
			restart = "no" // a candidate never comes back by itself
		}
		args := []string{"docker", "create", "--name", name, "--platform", platform, "--restart", restart}
		for _, k := range slices.Sorted(maps.Keys(labels)) {
			args = append(args, "--label", k+"="+labels[k])
		}
		args = append(args, extra...)
		for _, p := range ports {
			args = append(args, "-p", p)
		}
		for _, v := range s.Volumes {
			args = append(args, "-v", v)
		}
		if s.Network != "" {
			args = append(args, "--network", s.Network)
		}
		var stdin io.Reader
		if len(env) > 0 {
			// The values go through stdin into a 0600 file, never into argv
			// where ps shows them.
			stdin = strings.NewReader(dockerEnvFile(env))
		}
		if s.Memory != "" {
			args = append(args, "--memory", s.Memory)
		}
		if s.CPUs > 0 {
			args = append(args, "--cpus", strconv.FormatFloat(s.CPUs, 'f', -1, 64))
		}
		args = append(args, imageRef)
		args = append(args, s.Command...)
		out, err := c.Run(ctx, withEnvFile(args, stdin != nil), stdin)
		if err != nil {
			return "", fmt.Errorf("creating the container: %w", err)
		}
		return strings.TrimSpace(out), nil
	}
	newName := cs.newName(d)
	d.event("create", "creating %s", newName)
	id, err := create(newName, s.Ports)
	if err != nil {
		return errors.Join(err, d.restoreFiles(ctx))
	}
	cs.newID = id
	// From here on, any failure puts the old container back.
	undo := func(cause error) error { return d.undoFailed(ctx, cause, old != nil, cs.putBack) }
	serving := old != nil && old.State.Running
	if serving && canCheckFirst(s) {
		err := cs.checkCandidate(ctx, d, func(name string, ports []string, extra ...string) error {
			_, err := create(name, ports, extra...)
			return err
		})
		if err != nil {
			return undo(err)
		}
	}
	health := s.Health
	var watch *switchWatch
	if serving {
		// The switch: the service does not answer until the new container
		// passes its check, so it is probed closely and the outage timed.
		health.Interval = min(health.Interval, switchInterval)
		d.event("switch", "stopping the old container %s and starting the new one", old.Name)
		if s.Health.Cmd == "" {
			watch = watchSwitch(ctx, c, s.Health, switchWatchInterval)
		}
		start := time.Now()
		_, err := c.Run(ctx, "docker stop -t 10 "+transport.Quote(old.ID)+" >/dev/null && docker start "+transport.Quote(newName), nil)
		if err != nil {
			err = fmt.Errorf("switching to the new container: %w", err)
		} else {
			d.event("health", "waiting up to %s for %s", s.Health.Timeout, s.Health.Kind())
			if err = waitSwitched(ctx, c, newName, health); err != nil {
				err = &HealthError{Host: d.h.Name, Err: fmt.Errorf("after the switch: %w", err)}
			}
		}
		passed := time.Now()
		if watch != nil {
			d.rep.Switch = watch.finish(passed)
		} else {
			// A cmd check cannot watch the port: the whole switch counts.
			d.rep.Switch = passed.Sub(start)
		}
		if err != nil {
			d.rep.Switch = 0
			return undo(err)
		}
		d.event("switch", "the service did not answer for %s (the switch took %s)", d.rep.Switch.Round(time.Millisecond), passed.Sub(start).Round(time.Millisecond))
	} else {
		if _, err := c.Run(ctx, "docker start "+transport.Quote(newName), nil); err != nil {
			return undo(fmt.Errorf("starting the container: %w", err))
		}
		d.event("health", "waiting up to %s for %s", s.Health.Timeout, s.Health.Kind())
		if err := waitHealthy(ctx, c, newName, health); err != nil {
			return undo(&HealthError{Host: d.h.Name, Err: err})
		}
	}
	if !cs.m.Rollout.Rollback {
		if err := cs.removeOld(ctx, c); err != nil {
			return err
		}
		if _, err := c.Run(ctx, "docker rename "+transport.Quote(newName)+" "+transport.Quote(s.Name), nil); err != nil {
			return fmt.Errorf("renaming the container: %w", err)
		}
		d.pruneImages(ctx, cs.releases)
		d.rep.Result = ResultDeployed
		return nil
	}
	// rollback: true keeps the old container (stopped, under another name,
	// without a restart policy, so that an engine restart cannot start it
	// beside the new one) until the whole rollout succeeded, so this host
	// can still go back when a later host fails.
	prevName := s.Name + "-xedgesim-prev-" + d.o.deployID
	if old != nil {
		aside := "docker rename " + transport.Quote(old.ID) + " " + transport.Quote(prevName) + " && docker update --restart=no " + transport.Quote(old.ID) + " >/dev/null"
		if _, err := c.Run(ctx, aside, nil); err != nil {
			err = fmt.Errorf("setting the old container aside: %w", err)
			return undo(errors.Join(err, cs.nameBack(ctx, c, old.ID, s.Name)))
		}
	}
	if _, err := c.Run(ctx, "docker rename "+transport.Quote(newName)+" "+transport.Quote(s.Name), nil); err != nil {
		err = fmt.Errorf("renaming the container: %w", err)
		if old != nil {
			err = errors.Join(err, cs.nameBack(ctx, c, old.ID, s.Name))
		}
		return undo(err)
	}
	d.rep.Result = ResultDeployed
	return nil
}

// nameBack gives the old container the service's name again after a
// failed switch. Its failure is reported with the switch's: the old
// container then runs under its set-aside name, where a later deploy
// would not find it.
func (cs *containerStrategy) nameBack(ctx context.Context, c hostConn, id, name string) error {
	if _, err := c.Run(context.WithoutCancel(ctx), "docker rename "+transport.Quote(id)+" "+transport.Quote(name), nil); err != nil {
		return fmt.Errorf("giving the old container its name %s back: %w", name, err)
	}
	return nil
}

// putBack removes the new container before it took the service's name
// and starts the old one again.
func (cs *containerStrategy) putBack(ctx context.Context, d *hostDeploy) error {
	c, old := d.c, cs.old
	_, _ = c.Run(ctx, "docker rm -f "+transport.Quote(cs.newName(d)), nil) // a leftover new container has no service name; the old one starts by ID
	if err := d.restoreFiles(ctx); err != nil {
		return err
	}
	if old == nil {
		return nil
	}
	return cs.restartOld(ctx, c)
}

// restartOld starts the old container again and waits until it serves:
// until its published ports answer (its own health check is not known
// here: the manifest's may be the one that failed).
func (cs *containerStrategy) restartOld(ctx context.Context, c hostConn) error {
	if _, err := c.Run(ctx, "docker start "+transport.Quote(cs.old.ID), nil); err != nil {
		return fmt.Errorf("restarting the old container: %w", err)
	}
	if err := waitServing(ctx, c, cs.old, cs.m.Service.Health); err != nil {
		return fmt.Errorf("health-checking the old container after the rollback: %w", err)
	}
	return nil
}

// newName is the new container's name until it takes the service's.
func (cs *containerStrategy) newName(d *hostDeploy) string {
	return cs.m.Service.Name + "-xedgesim-" + d.o.deployID
}

// commit removes the old container, kept stopped for rollback.
func (cs *containerStrategy) commit(ctx context.Context, d *hostDeploy) error {
	if cs.same {
		return nil
	}
	if err := d.live(ctx); err != nil {
		return err
	}
	if err := cs.removeOld(ctx, d.c); err != nil {
		return err
	}
	d.pruneImages(ctx, cs.releases)
	return nil
}

func (cs *containerStrategy) removeOld(ctx context.Context, c hostConn) error {
	if cs.old == nil {
		return nil
	}
	if _, err := c.Run(ctx, "docker rm -f "+transport.Quote(cs.old.ID), nil); err != nil {
		return fmt.Errorf("removing the old container: %w", err)
	}
	return nil
}

// rollback removes the new container and gives the old one back its name
// and restart policy, and starts it when it ran.
func (cs *containerStrategy) rollback(ctx context.Context, d *hostDeploy) error {
	c, old := d.c, cs.old
	if cs.same {
		return nil
	}
	if _, err := c.Run(ctx, "docker rm -f "+transport.Quote(cs.newID), nil); err != nil {
		return fmt.Errorf("removing the new container: %w", err)
	}
	if err := d.restoreFiles(ctx); err != nil {
		return err
	}
	if old == nil {
		return nil
	}
	restore := "docker rename " + transport.Quote(old.ID) + " " + transport.Quote(cs.m.Service.Name) + " && docker update --restart=" + transport.Quote(old.restartPolicy()) + " " + transport.Quote(old.ID) + " >/dev/null"
	if _, err := c.Run(ctx, restore, nil); err != nil {
		return fmt.Errorf("restoring the old container's name and restart policy: %w", err)
	}
	if !old.State.Running {
		return nil
	}
	return cs.restartOld(ctx, c)
}

// verify checks the service's container: running, the same container with
// the same restart count over the window, healthy, and created by deploy
// from the image of want.
func (cs *containerStrategy) verify(ctx context.Context, c hostConn, want string) (HostCheck, error) {
	var hc HostCheck
	s := cs.m.Service
	first, err := inspect(ctx, c, s.Name)
	if err != nil || first == nil {
		return hc, orCheckError(err, "no container %s", s.Name)
	}
	hc.Digest = first.Config.Labels[LabelDigest]
	hc.DigestMatches = hc.Digest == want && first.Image == first.Config.Labels[LabelImageID]
	if err := sleep(ctx, s.Health.Window); err != nil {
		return hc, err
	}
	second, err := inspect(ctx, c, s.Name)
	if err != nil {
		return hc, err
	}
	hc.Running = second != nil && second.State.Running && first.State.Running
	hc.RestartsStable = second != nil && second.ID == first.ID && second.RestartCount == first.RestartCount
	return finishCheck(ctx, c, hc, s.Health, want, checked{what: "the container", is: "is", image: " (image " + first.Image + ")"})
}
