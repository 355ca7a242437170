package deploy

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/xedgesim/simulate/pkg/deploy/manifest"
	"github.com/xedgesim/simulate/pkg/deploy/transport"
)

// transfer gets the platform image onto the host and returns the reference
// to create the container from.
func (d *hostDeploy) transfer(ctx context.Context, platform string, desc v1.Descriptor) (string, error) {
	c := d.c
	if d.m.Transfer == manifest.TransferPull {
		ref := d.im.ref.String()
		d.event("transfer", "pulling %s", ref)
		if _, err := c.Run(ctx, "docker pull -q --platform "+transport.Quote(platform)+" "+transport.Quote(ref), nil); err != nil {
			return "", fmt.Errorf("pulling on the host: %w", err)
		}
		return ref, nil
	}
	img := d.im.single
	if img == nil {
		var err error
		img, err = remote.Image(d.im.ref.Context().Digest(desc.Digest.String()), append([]remote.Option{remote.WithContext(ctx)}, d.o.remote...)...)
		if err != nil {
			return "", fmt.Errorf("reading the %s image: %w", platform, err)
		}
	}
	tag, err := name.NewTag("xedgesim.local/"+d.m.Service.Name+":"+strings.TrimPrefix(desc.Digest.String(), "sha256:")[:20], name.StrictValidation)
	if err != nil {
		return "", &InputError{fmt.Errorf("naming the image: %w", err)}
	}
	f, err := os.CreateTemp("", "xedgesim-image-*.tar")
	if err != nil {
		return "", fmt.Errorf("writing the image tarball: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := tarball.Write(tag, img, f); err != nil {
		return "", fmt.Errorf("writing the image tarball: %w", err)
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return "", fmt.Errorf("writing the image tarball: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", fmt.Errorf("writing the image tarball: %w", err)
	}
	dst := "/tmp/xedgesim-" + d.o.deployID + "-" + d.h.Name + "-" + d.m.Service.Name + ".tar"
	d.event("transfer", "sending %d bytes", size)
	err = c.Upload(ctx, f, size, dst, "0600", func(n int64) {
		d.o.progress.Report(Event{Host: d.h.Name, Step: "transfer", Bytes: n, Total: size})
	})
	if err != nil {
		return "", err
	}
	d.rep.BytesSent += size
	_, err = c.Run(ctx, "docker load -q -i "+transport.Quote(dst)+"; rc=$?; rm -f "+transport.Quote(dst)+"; exit $rc", nil)
	if err != nil {
		return "", fmt.Errorf("loading the image: %w", err)
	}
	return tag.String(), nil
}
