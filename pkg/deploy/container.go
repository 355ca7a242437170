package deploy

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/xedgesim/simulate/pkg/deploy/manifest"
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
	// candidateGone is closed once the candidate is removed;
	// dropCandidate starts that removal (nil once started).
	candidateGone chan struct{}
	dropCandidate func()
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
// unless rollout.order is stop-first, then switches over and checks
// again; on failure it puts the old one back.
func (cs *containerStrategy) replace(ctx context.Context, d *hostDeploy, platform, imageRef string, labels map[string]string) error {
	c, s, old := d.c, cs.m.Service, cs.old
	env := cs.m.HostEnv(d.h)
	defer cs.waitCandidate()
	// create creates a container of the new release: the service's (with
	// its published ports) or the candidate (with ephemeral ones).
	eng := engineOf(c)
	create := func(name string, ports []string, candidate bool) (string, error) {
		spec := createSpec{name: name, platform: platform, restart: s.Restart, image: imageRef, labels: labels,
			ports: ports, volumes: s.Volumes, network: s.Network, memory: s.Memory, cpus: s.CPUs, env: env, command: s.Command}
		if candidate {
			spec.restart = "no" // a candidate never comes back by itself
			spec.labels = maps.Clone(labels)
			spec.labels[LabelRole] = roleCandidate
		}
		id, err := eng.create(ctx, spec)
		if err != nil {
			return "", fmt.Errorf("creating the container: %w", err)
		}
		return id, nil
	}
	newName := cs.newName(d)
	createService := func() error {
		d.event("create", "creating %s", newName)
		id, err := create(newName, s.Ports, false)
		cs.newID = id
		return err
	}
	// From here on, any failure puts the old container back.
	undo := func(cause error) error { return d.undoFailed(ctx, cause, old != nil, cs.putBack) }
	serving := old != nil && old.State.Running
	// The switch is timed by probing the service's published port; the
	// probes start while the candidate is checked, so that the switch
	// need not wait for a first answer of the old container.
	var watch *switchWatch
	startWatch := func() {
		if watch == nil && serving && s.Health.Cmd == "" {
			watch = watchSwitch(ctx, c, s.Health, switchWatchInterval)
		}
	}
	defer func() {
		if watch != nil {
			watch.end()
		}
	}()
	if serving && cs.m.Rollout.Order != manifest.OrderStopFirst && canCheckFirst(s) {
		// The service's container is created while the candidate boots.
		var created chan error
		err := cs.checkCandidate(ctx, d, func(name string, ports []string) error {
			_, err := create(name, ports, true)
			return err
		}, func() {
			created = make(chan error, 1)
			go func() { created <- createService() }()
			startWatch()
		})
		if created != nil {
			err = errors.Join(err, <-created)
		}
		if err != nil {
			cs.removeCandidate() // a candidate that passed goes too: the old container stays
			return undo(err)
		}
	} else if err := createService(); err != nil {
		return errors.Join(err, d.restoreFiles(ctx))
	}
	health := s.Health
	if serving {
		// The switch: the service does not answer until the new container
		// passes its check, so it is probed closely and the outage timed.
		health.Interval = min(health.Interval, switchInterval)
		d.event("switch", "stopping the old container %s and starting the new one", old.Name)
		startWatch()
		if watch != nil {
			watch.closely()
			watch.ready(time.Second)
		}
		start := time.Now()
		err := eng.stop(ctx, old.ID)
		if err == nil {
			err = eng.start(ctx, newName)
		}
		cs.removeCandidate() // while the new container is checked
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
			d.rep.Switch = watch.finish(start, passed)
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
		if err := eng.start(ctx, newName); err != nil {
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
		if err := eng.rename(ctx, newName, s.Name); err != nil {
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
		err := eng.rename(ctx, old.ID, prevName)
		if err == nil {
			err = eng.setRestart(ctx, old.ID, "no")
		}
		if err != nil {
			err = fmt.Errorf("setting the old container aside: %w", err)
			return undo(errors.Join(err, cs.nameBack(ctx, c, old.ID, s.Name)))
		}
	}
	if err := eng.rename(ctx, newName, s.Name); err != nil {
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
	if err := engineOf(c).rename(context.WithoutCancel(ctx), id, name); err != nil {
		return fmt.Errorf("giving the old container its name %s back: %w", name, err)
	}
	return nil
}

// putBack removes the new container before it took the service's name
// and starts the old one again.
func (cs *containerStrategy) putBack(ctx context.Context, d *hostDeploy) error {
	c, old := d.c, cs.old
	_ = engineOf(c).remove(ctx, cs.newName(d)) // a leftover new container has no service name; the old one starts by ID
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
	if err := engineOf(c).start(ctx, cs.old.ID); err != nil {
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
	if err := engineOf(c).remove(ctx, cs.old.ID); err != nil {
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
	if err := engineOf(c).remove(ctx, cs.newID); err != nil {
		return fmt.Errorf("removing the new container: %w", err)
	}
	if err := d.restoreFiles(ctx); err != nil {
		return err
	}
	if old == nil {
		return nil
	}
	err := engineOf(c).rename(ctx, old.ID, cs.m.Service.Name)
	if err == nil {
		err = engineOf(c).setRestart(ctx, old.ID, old.restartPolicy())
	}
	if err != nil {
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
