package deploy

import (
	"context"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/xedgesim/simulate/pkg/deploy/manifest"
)

// A deploy's first steps wait on two sides: the host (the SSH connection,
// the one session that asks for DOCKER_HOST, the engine's containers) and
// the registry (the platform's manifest and config). Neither needs the
// other, so the registry is read while the host is reached, and the
// engine's layers are asked for while the strategy inspects the service's
// container. What a deploy then does not use (the host runs the release
// already) costs a few requests and is dropped.

// future is a value one goroutine computes and others wait for.
type future[T any] struct {
	done chan struct{}
	v    T
	err  error
}

func goFuture[T any](f func() (T, error)) *future[T] {
	fu := &future[T]{done: make(chan struct{})}
	go func() {
		defer close(fu.done)
		fu.v, fu.err = f()
	}()
	return fu
}

// wait returns the value, or ctx's error when ctx ends first.
func (fu *future[T]) wait(ctx context.Context) (T, error) {
	select {
	case <-fu.done:
		return fu.v, fu.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// prefetched is what a host's deploy started reading ahead.
type prefetched struct {
	// digest is the platform manifest image is of.
	digest v1.Hash
	image  *future[v1.Image]
	// layers is the engine's layers (nil when not asked ahead, or the
	// connection they were asked through was replaced).
	layers *future[*engineLayers]
	// direct is the engine's reachesContainers for the service's network.
	direct *future[bool]
}

// readsImage tells whether a deploy of m reads the platform image from the
// registry (a pull on the host does not).
func readsImage(m *manifest.Manifest) bool {
	return !(m.Transfer == manifest.TransferPull && (m.Strategy == manifest.StrategyContainer || m.Strategy == "" || m.Strategy == manifest.StrategyCompose))
}

// prefetchImage starts reading desc's image (its manifest and config) from
// the registry.
func (d *hostDeploy) prefetchImage(ctx context.Context, desc v1.Descriptor) {
	if d.im.single != nil || !readsImage(d.m) {
		return
	}
	d.pre.digest = desc.Digest
	d.pre.image = goFuture(func() (v1.Image, error) {
		img, err := remote.Image(d.im.ref.Context().Digest(desc.Digest.String()), append([]remote.Option{remote.WithContext(ctx)}, d.o.remote...)...)
		if err != nil {
			return nil, err
		}
		_, err = img.RawConfigFile() // kept by img: the tarball and the config check read it
		return img, err
	})
}

// prefetchLayers starts asking the engine for its layers, when a container
// or compose deploy that sends the image talks to it through the Engine
// API (a docker CLI run would be one more session on the host, wasted when
// the host runs the release already).
func (d *hostDeploy) prefetchLayers(ctx context.Context) {
	if !readsImage(d.m) {
		return
	}
	// Only a container deploy's connection has one (connect).
	if _, ok := engineOf(d.c).(apiEngine); !ok {
		return
	}
	c := d.c
	d.pre.layers = goFuture(func() (*engineLayers, error) { return queryLayers(ctx, c) })
	d.pre.direct = goFuture(func() (bool, error) { return engineOf(c).reachesContainers(ctx, d.m.Service.Network) })
}

// reachesContainers is the engine's reachesContainers for the service's
// network: asked for ahead, else now.
func (d *hostDeploy) reachesContainers(ctx context.Context) (bool, error) {
	if d.pre.direct != nil {
		if ok, err := d.pre.direct.wait(ctx); err == nil {
			return ok, nil
		}
	}
	return engineOf(d.c).reachesContainers(ctx, d.m.Service.Network)
}

// prefetchedImage is the image prefetchImage read for digest, if it did;
// after a failed read the caller reads again and reports that.
func (d *hostDeploy) prefetchedImage(ctx context.Context, digest v1.Hash) (v1.Image, bool) {
	if d.pre.image == nil || d.pre.digest != digest {
		return nil, false
	}
	img, err := d.pre.image.wait(ctx)
	return img, err == nil
}

// engineLayers is the engine's layers: those asked for ahead, else asked
// for now.
func (d *hostDeploy) engineLayers(ctx context.Context) (*engineLayers, error) {
	if d.pre.layers != nil {
		if el, err := d.pre.layers.wait(ctx); err == nil {
			return el, nil
		}
	}
	return queryLayers(ctx, d.c)
}
