package deploy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/xedgesim/simulate/internal/engine"
	"github.com/xedgesim/simulate/pkg/deploy/manifest"
	"github.com/xedgesim/simulate/pkg/deploy/transport"
)

// sendAttempts bounds how often a transfer is restarted after the
// connection broke.
const sendAttempts = 3

// transfer gets the platform image onto the host and returns the reference
// to create the container from.
func (d *hostDeploy) transfer(ctx context.Context, platform string, desc v1.Descriptor) (string, error) {
	if d.m.Transfer == manifest.TransferPull {
		ref := d.im.ref.String()
		d.event("transfer", "pulling %s", ref)
		if _, err := d.c.Run(ctx, "docker pull -q --platform "+transport.Quote(platform)+" "+transport.Quote(ref), nil); err != nil {
			return "", fmt.Errorf("pulling on the host: %w", err)
		}
		return ref, nil
	}
	img, err := d.platformImage(ctx, platform, desc)
	if err != nil {
		return "", err
	}
	tag, err := name.NewTag("xedgesim.local/"+d.m.Service.Name+":"+strings.TrimPrefix(desc.Digest.String(), "sha256:")[:20], name.StrictValidation)
	if err != nil {
		return "", &InputError{fmt.Errorf("naming the image: %w", err)}
	}
	if err := d.sendImage(ctx, img, tag.String()); err != nil {
		return "", err
	}
	return tag.String(), nil
}

// transferImage transfers the platform image and returns the reference to
// run and the engine's image ID for it.
func (d *hostDeploy) transferImage(ctx context.Context, platform string, desc v1.Descriptor) (ref, id string, err error) {
	ref, err = d.transfer(ctx, platform, desc)
	if err != nil {
		return "", "", err
	}
	// The transfer may have reconnected: d.c is the connection from here.
	id, err = engineOf(d.c).imageID(ctx, ref)
	if err != nil {
		return "", "", fmt.Errorf("inspecting the image: %w", err)
	}
	return ref, id, nil
}

// platformImage is the image of the host's platform, read from the
// registry unless the reference is that one image.
func (d *hostDeploy) platformImage(ctx context.Context, platform string, desc v1.Descriptor) (v1.Image, error) {
	if d.im.single != nil {
		return d.im.single, nil
	}
	if img, ok := d.prefetchedImage(ctx, desc.Digest); ok {
		return img, nil
	}
	img, err := remote.Image(d.im.ref.Context().Digest(desc.Digest.String()), append([]remote.Option{remote.WithContext(ctx)}, d.o.remote...)...)
	if err != nil {
		return nil, fmt.Errorf("reading the %s image: %w", platform, err)
	}
	return img, nil
}

// labels are what deploy puts on the service's containers.
func (d *hostDeploy) labels(platformDigest, imageID string) map[string]string {
	return map[string]string{
		LabelService: d.m.Service.Name, LabelDigest: d.im.digest, LabelPlatform: platformDigest,
		LabelImageID: imageID, LabelDeployID: d.o.deployID,
	}
}

// sendImage puts img into the host's engine as tag, sending only the
// layers the engine lacks.
func (d *hostDeploy) sendImage(ctx context.Context, img v1.Image, tag string) error {
	cfgName, err := img.ConfigName()
	if err != nil {
		return fmt.Errorf("reading the image: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return fmt.Errorf("reading the image: %w", err)
	}
	have, err := d.engineLayers(ctx)
	if err != nil {
		return err
	}
	if have.images[cfgName.String()] {
		d.event("transfer", "the engine has the image already; tagging it")
		if err := engineOf(d.c).tag(ctx, cfgName.String(), tag); err != nil {
			return fmt.Errorf("tagging the image: %w", err)
		}
		return nil
	}
	skip := have.present(cf.RootFS.DiffIDs)
	err = d.load(ctx, img, tag, skip)
	if skip > 0 && loadRefused(err) {
		// The engine may have lost a layer since it was asked (an image
		// removed meanwhile), or may not fill in layers it has: send them
		// all.
		d.event("transfer", "loading without the %d layer(s) the engine had failed (%v); sending every layer", skip, err)
		err = d.load(ctx, img, tag, 0)
	}
	return err
}

// load writes the tarball to a local file (so a broken transfer can start
// over) and sends it to the host's docker load, reconnecting and sending
// again when the connection breaks; the host's receive script checks the
// bytes and never keeps a partial file, so docker load only ever reads a
// whole tarball, and the running service is untouched until then.
func (d *hostDeploy) load(ctx context.Context, img v1.Image, tag string, skip int) error {
	f, size, sum, err := spool("xedgesim-image-*.tar", func(w io.Writer) error { return writeLoadTarball(w, img, tag, skip) })
	if err != nil {
		return fmt.Errorf("writing the image tarball: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	p := transport.Payload{Size: size, SHA256: sum}
	layers, _ := img.Layers()
	// broken is why the connection is gone (first the break itself, then
	// also the last failed reconnect), nil while it works.
	var broken, first error
	for attempt := 1; attempt <= sendAttempts; attempt++ {
		if broken != nil {
			d.event("transfer", "%v; reconnecting to send again (attempt %d of %d)", broken, attempt, sendAttempts)
			if err := d.reconnect(ctx, attempt-1); err != nil {
				if ctx.Err() != nil {
					return fmt.Errorf("loading the image: %w", ctx.Err())
				}
				broken = fmt.Errorf("%v; reconnecting: %w", first, err)
				continue
			}
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("reading the image tarball: %w", err)
		}
		p.R = f
		p.Progress = func(n int64) {
			d.o.progress.Report(Event{Host: d.h.Name, Step: "transfer", Bytes: n, Total: size})
		}
		if skip > 0 {
			d.event("transfer", "sending %d bytes: %d of %d layers (the engine has the other %d)", size, len(layers)-skip, len(layers), skip)
		} else {
			d.event("transfer", "sending %d bytes: all %d layers", size, len(layers))
		}
		n, err := engineOf(d.c).load(ctx, safeFileTag(d.m.Service.Name), p)
		d.rep.BytesSent += n
		if err == nil {
			return nil
		}
		if loadRefused(err) || ctx.Err() != nil {
			return fmt.Errorf("loading the image: %w", err)
		}
		broken = fmt.Errorf("the connection broke while sending %d bytes: %w", size, err)
		first = broken
	}
	return fmt.Errorf("loading the image: gave up after %d attempts: %w", sendAttempts, broken)
}

// reconnect replaces the host's connection after it broke.
func (d *hostDeploy) reconnect(ctx context.Context, attempt int) error {
	_ = d.c.Close() // the connection already broke
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Duration(attempt) * time.Second):
	}
	c, err := connect(ctx, d.m, d.h, d.o)
	if err != nil {
		return err
	}
	d.c = c
	d.pre.layers, d.pre.direct = nil, nil // asked through the connection that broke
	return nil
}

// safeFileTag is s with only the characters a temporary file name takes.
func safeFileTag(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	return string(b)
}

// spool writes what write gives to a new temporary file and returns the
// file rewound, with its size and SHA-256: a transfer that breaks can
// start again from it, and the host checks what it received against it.
// On error the file is already removed.
func spool(pattern string, write func(io.Writer) error) (f *os.File, size int64, sum string, err error) {
	f, err = os.CreateTemp("", pattern)
	if err != nil {
		return nil, 0, "", err
	}
	h := sha256.New()
	err = write(io.MultiWriter(f, h))
	if err == nil {
		size, err = f.Seek(0, io.SeekCurrent)
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		_ = f.Close()
		_ = os.Remove(f.Name())
		return nil, 0, "", err
	}
	return f, size, hex.EncodeToString(h.Sum(nil)), nil
}

// loadRefused tells an engine that refused a load (docker load exited
// non-zero, or the API answered an error) from a connection that broke.
func loadRefused(err error) bool {
	var ce *transport.CommandError
	var ee *engine.Error
	return errors.As(err, &ce) || errors.As(err, &ee)
}
