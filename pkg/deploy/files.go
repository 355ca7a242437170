package deploy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/xedgesim/simulate/pkg/deploy/manifest"
	"github.com/xedgesim/simulate/pkg/deploy/transport"
)

// The service's files are part of its release: every version a host has
// had of each file stays in the host's file store,
// $HOME/.xedgesim/SERVICE/files/KEY/SHA256 (KEY names the destination),
// beside the images, and a deploy installs its versions from there with a
// rename each. The versions the files had before the deploy are what a
// rollback installs again, before the previous release runs again, so the
// service starts with the image and files of one release. rollout.keep
// versions of each file stay.

// fileState is one destination's content on the host: the SHA-256 of its
// content ("" when there was no file) and its mode.
type fileState struct {
	dst, sum, mode string
}

// storeDir is the service's directory on the host, as a shell word.
func storeDir(service string) string {
	return `"$HOME"/.xedgesim/` + transport.Quote(service)
}

// fileKey names a destination in the file store.
func fileKey(dst string) string {
	sum := sha256.Sum256([]byte(dst))
	return hex.EncodeToString(sum[:8])
}

// storedFile is a version of dst in the store, as a shell word.
func storedFile(service, dst, sum string) string {
	return storeDir(service) + "/files/" + fileKey(dst) + "/" + sum
}

// wantFiles are the service's files rendered for h, with their checksums.
func wantFiles(m *manifest.Manifest, h manifest.Host) ([]fileState, [][]byte, error) {
	var states []fileState
	var data [][]byte
	for _, f := range m.Service.Files {
		b, err := m.Render(f, h)
		if err != nil {
			return nil, nil, &InputError{fmt.Errorf("reading %s (%s): %w", f.Src, f.Pos, err)}
		}
		sum := sha256.Sum256(b)
		states = append(states, fileState{f.Dst, hex.EncodeToString(sum[:]), f.Mode})
		data = append(data, b)
	}
	return states, data, nil
}

// installFiles stores the service's files (templates rendered for the
// host) and what the destinations held before, then installs the new
// versions, each with a rename. A failure puts back what it installed.
func (d *hostDeploy) installFiles(ctx context.Context) error {
	if len(d.m.Service.Files) == 0 {
		return nil
	}
	service := d.m.Service.Name
	want, data, err := wantFiles(d.m, d.h)
	if err != nil {
		return err
	}
	// What each destination holds now, kept in the store; and whether the
	// store has the new version already.
	var b strings.Builder
	for _, f := range want {
		dir := storeDir(service) + "/files/" + fileKey(f.dst)
		q := transport.Quote(f.dst)
		fmt.Fprintf(&b, "mkdir -p %s && (umask 077; if [ -f %s ]; then s=$(sha256sum < %s | cut -d' ' -f1) && m=$(stat -c %%a %s) && { [ -f %s/$s ] || cp -p %s %s/$s; } && touch %s/$s && echo \"$s $m\"; else echo '- -'; fi) && if [ -f %s ]; then echo have; else echo need; fi || exit 1\n",
			dir, q, q, q, dir, q, dir, dir, storedFile(service, f.dst, f.sum))
	}
	out, err := d.c.Run(ctx, b.String(), nil)
	if err != nil {
		return fmt.Errorf("keeping the service's files: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2*len(want) {
		return fmt.Errorf("keeping the service's files: unexpected answer %q", out)
	}
	prev := make([]fileState, len(want))
	home := ""
	for i, f := range want {
		sum, mode, _ := strings.Cut(lines[2*i], " ")
		if sum == "-" {
			sum, mode = "", ""
		}
		prev[i] = fileState{f.dst, sum, mode}
		if lines[2*i+1] == "have" {
			continue
		}
		d.event("files", "sending %s (%d bytes)", d.m.Service.Files[i].Src, len(data[i]))
		if home == "" {
			// The store's path with $HOME expanded: Upload quotes it.
			if home, err = d.c.Run(ctx, `printf %s "$HOME"`, nil); err != nil {
				return fmt.Errorf("finding the home directory: %w", err)
			}
		}
		dst := strings.TrimSpace(home) + "/.xedgesim/" + service + "/files/" + fileKey(f.dst) + "/" + f.sum
		if err := d.c.Upload(ctx, bytes.NewReader(data[i]), int64(len(data[i])), dst, "0600", nil); err != nil {
			return fmt.Errorf("copying %s: %w", d.m.Service.Files[i].Src, err)
		}
		d.rep.BytesSent += int64(len(data[i]))
	}
	d.prevFiles = prev
	d.event("files", "installing %d file(s)", len(want))
	if err := d.putFiles(ctx, want); err != nil {
		return errors.Join(err, d.restoreFiles(ctx))
	}
	return nil
}

// putFiles installs the stored versions states name, each with a rename;
// a state without a checksum removes the file.
func (d *hostDeploy) putFiles(ctx context.Context, states []fileState) error {
	var b strings.Builder
	for _, f := range states {
		q := transport.Quote(f.dst)
		if f.sum == "" {
			fmt.Fprintf(&b, "rm -f %s || exit 1\n", q)
			continue
		}
		tmp := transport.Quote(f.dst + ".xedgesim-new")
		src := storedFile(d.m.Service.Name, f.dst, f.sum)
		fmt.Fprintf(&b, "mkdir -p %s && (umask 077; cp %s %s) && chmod %s %s && mv -f %s %s && touch %s || exit 1\n",
			transport.Quote(dirOf(f.dst)), src, tmp, transport.Quote(f.mode), tmp, tmp, q, src)
	}
	if _, err := d.c.Run(ctx, b.String(), nil); err != nil {
		return fmt.Errorf("installing the service's files: %w", err)
	}
	return nil
}

// restoreFiles puts back the files the deploy replaced (and removes those
// it added), so the previous release runs with its own files.
func (d *hostDeploy) restoreFiles(ctx context.Context) error {
	if d.prevFiles == nil {
		return nil
	}
	d.event("rollback", "putting back the previous version of %d file(s)", len(d.prevFiles))
	if err := d.putFiles(context.WithoutCancel(ctx), d.prevFiles); err != nil {
		return fmt.Errorf("putting back the previous files: %w", err)
	}
	return nil
}

// pruneFiles keeps the newest rollout.keep versions of each of the
// service's files in the store (the installed one is the newest).
func (d *hostDeploy) pruneFiles(ctx context.Context) {
	if len(d.m.Service.Files) == 0 {
		return
	}
	var b strings.Builder
	for _, f := range d.m.Service.Files {
		fmt.Fprintf(&b, "(cd %s/files/%s 2>/dev/null && ls -1t | tail -n +%d | xargs -r rm -f)\n", storeDir(d.m.Service.Name), fileKey(f.Dst), max(d.m.Rollout.Keep, 1)+1)
	}
	if _, err := d.c.Run(ctx, b.String()+"true", nil); err != nil {
		d.event("done", "removing old versions of the files: %v", err)
	}
}

// checkFiles compares the service's files on the host with the manifest's
// (rendered for h); problem says which differ.
func checkFiles(ctx context.Context, c hostConn, m *manifest.Manifest, h manifest.Host) (ok bool, problem string, err error) {
	want, _, err := wantFiles(m, h)
	if err != nil || len(want) == 0 {
		return err == nil, "", err
	}
	var b strings.Builder
	for _, f := range want {
		q := transport.Quote(f.dst)
		fmt.Fprintf(&b, "if [ -f %s ]; then sha256sum < %s | cut -d' ' -f1; else echo -; fi\n", q, q)
	}
	out, err := c.Run(ctx, b.String(), nil)
	if err != nil {
		return false, "", fmt.Errorf("checking the service's files: %w", err)
	}
	got := strings.Fields(out)
	var bad []string
	for i, f := range want {
		switch {
		case i >= len(got) || got[i] == "-":
			bad = append(bad, f.dst+" is missing")
		case got[i] != f.sum:
			bad = append(bad, fmt.Sprintf("%s has sha256:%s, want sha256:%s", f.dst, got[i][:min(12, len(got[i]))], f.sum[:12]))
		}
	}
	return len(bad) == 0, strings.Join(bad, "; "), nil
}
