package deploy

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/xedgesim/simulate/pkg/deploy/transport"
)

// deployContainer is strategy container: the image goes to the host's
// engine and the service's container is replaced by one of the new image.
func (d *hostDeploy) deployContainer(ctx context.Context, platform string, desc v1.Descriptor) error {
	old, err := inspect(ctx, d.c, d.m.Service.Name)
	if err != nil {
		return err
	}
	if old != nil {
		d.rep.OldDigest = old.Config.Labels[LabelDigest]
	}

	imageRef, err := d.transfer(ctx, platform, desc)
	if err != nil {
		return err
	}
	// The transfer may have reconnected: d.c is the connection from here.
	imageID, err := d.c.Run(ctx, "docker image inspect --format '{{.Id}}' "+transport.Quote(imageRef), nil)
	if err != nil {
		return fmt.Errorf("inspecting the image: %w", err)
	}
	imageID = strings.TrimSpace(imageID)
	if err := d.files(ctx); err != nil {
		return err
	}
	return d.replace(ctx, old, platform, imageRef, imageID, desc.Digest.String())
}

// replace creates the new container beside the old one, switches over, and
// health-checks; on failure it puts the old one back.
func (d *hostDeploy) replace(ctx context.Context, old *container, platform, imageRef, imageID, platformDigest string) error {
	c, s := d.c, d.m.Service
	newName := s.Name + "-xedgesim-" + d.o.deployID
	args := []string{"docker", "create", "--name", newName, "--platform", platform, "--restart", s.Restart,
		"--label", LabelService + "=" + s.Name, "--label", LabelDigest + "=" + d.im.digest,
		"--label", LabelPlatform + "=" + platformDigest, "--label", LabelImageID + "=" + imageID,
		"--label", LabelDeployID + "=" + d.o.deployID}
	for _, p := range s.Ports {
		args = append(args, "-p", p)
	}
	for _, v := range s.Volumes {
		args = append(args, "-v", v)
	}
	for _, k := range sortedKeys(s.Env) {
		args = append(args, "-e", k+"="+s.Env[k])
	}
	if s.Memory != "" {
		args = append(args, "--memory", s.Memory)
	}
	if s.CPUs > 0 {
		args = append(args, "--cpus", strconv.FormatFloat(s.CPUs, 'f', -1, 64))
	}
	args = append(args, imageRef)
	args = append(args, s.Command...)
	d.event("create", "creating %s", newName)
	out, err := c.Run(ctx, shell(args...), nil)
	if err != nil {
		return fmt.Errorf("creating the container: %w", err)
	}
	newID := strings.TrimSpace(out)
	// From here on, any failure puts the old container back. The clean-up
	// must run even when ctx is cancelled.
	bg := context.WithoutCancel(ctx)
	rollback := func(cause error) error {
		d.event("rollback", "%v", cause)
		c.Run(bg, "docker rm -f "+transport.Quote(newName), nil)
		if old != nil {
			if _, err := c.Run(bg, "docker start "+transport.Quote(old.ID), nil); err != nil {
				return errors.Join(cause, fmt.Errorf("restarting the old container: %w", err))
			}
			// The old container serves again once its published ports
			// answer (its own health check is not known here: the
			// manifest's may be the one that failed).
			if err := waitServing(bg, c, old, s.Health); err != nil {
				return errors.Join(cause, fmt.Errorf("health-checking the old container after the rollback: %w", err))
			}
			d.rep.RolledBack = true
			d.rep.Result = ResultRolledBack
		}
		return cause
	}
	if old != nil && old.State.Running {
		d.event("switch", "stopping the old container %s", old.Name)
		if _, err := c.Run(ctx, "docker stop -t 10 "+transport.Quote(old.ID), nil); err != nil {
			return rollback(fmt.Errorf("stopping the old container: %w", err))
		}
	}
	if _, err := c.Run(ctx, "docker start "+transport.Quote(newName), nil); err != nil {
		return rollback(fmt.Errorf("starting the container: %w", err))
	}
	d.event("health", "waiting up to %s for %s", s.Health.Timeout, s.Health.Kind())
	if err := waitHealthy(ctx, c, newName, s.Health); err != nil {
		return rollback(&HealthError{Host: d.h.Name, Err: err})
	}
	if !d.m.Rollout.Rollback {
		if old != nil {
			if _, err := c.Run(ctx, "docker rm -f "+transport.Quote(old.ID), nil); err != nil {
				return fmt.Errorf("removing the old container: %w", err)
			}
		}
		if _, err := c.Run(ctx, "docker rename "+transport.Quote(newName)+" "+transport.Quote(s.Name), nil); err != nil {
			return fmt.Errorf("renaming the container: %w", err)
		}
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
			c.Run(bg, "docker rename "+transport.Quote(old.ID)+" "+transport.Quote(s.Name), nil)
			return rollback(fmt.Errorf("setting the old container aside: %w", err))
		}
	}
	if _, err := c.Run(ctx, "docker rename "+transport.Quote(newName)+" "+transport.Quote(s.Name), nil); err != nil {
		if old != nil {
			c.Run(bg, "docker rename "+transport.Quote(old.ID)+" "+transport.Quote(s.Name), nil)
		}
		return rollback(fmt.Errorf("renaming the container: %w", err))
	}
	d.rep.Result = ResultDeployed
	d.commit = func(ctx context.Context) error {
		if old == nil {
			return nil
		}
		if _, err := d.c.Run(ctx, "docker rm -f "+transport.Quote(old.ID), nil); err != nil {
			return fmt.Errorf("removing the old container: %w", err)
		}
		return nil
	}
	d.undo = func(ctx context.Context) error {
		c := d.c
		if _, err := c.Run(ctx, "docker rm -f "+transport.Quote(newID), nil); err != nil {
			return fmt.Errorf("removing the new container: %w", err)
		}
		if old == nil {
			return nil
		}
		restore := "docker rename " + transport.Quote(old.ID) + " " + transport.Quote(s.Name) + " && docker update --restart=" + transport.Quote(old.restartPolicy()) + " " + transport.Quote(old.ID) + " >/dev/null"
		if _, err := c.Run(ctx, restore, nil); err != nil {
			return fmt.Errorf("restoring the old container's name and restart policy: %w", err)
		}
		if !old.State.Running {
			return nil
		}
		if _, err := c.Run(ctx, "docker start "+transport.Quote(old.ID), nil); err != nil {
			return fmt.Errorf("restarting the old container: %w", err)
		}
		if err := waitServing(ctx, c, old, s.Health); err != nil {
			return fmt.Errorf("health-checking the old container after the rollback: %w", err)
		}
		return nil
	}
	return nil
}
