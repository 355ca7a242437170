package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// push is the push section: `xedgesim push` against `crane copy` of the
// same two-platform image, from a repository of the test bed's plain
// registry to fresh repositories of the same registry, reached through a
// counting proxy that turns mounts into uploads (see registryProxy): both
// upload every byte, as between two registries. Then both push the same
// image again to where it already is, which must upload nothing.
func push(env *Env) (*Section, error) {
	s := &Section{Title: "Push"}
	crane, err := buildTool(env, "crane", "github.com/google/go-containerregistry", "github.com/google/go-containerregistry/cmd/crane", "crane")
	if err != nil {
		return nil, err
	}
	craneVersion, _ := toolVersion(env.Root, "crane/go.mod", "github.com/google/go-containerregistry")
	reg, stop, err := benchRegistry()
	if err != nil {
		return nil, err
	}
	defer stop()

	dir := filepath.Join(env.Tmp, "push")
	hello, err := buildHello(env, dir)
	if err != nil {
		return nil, err
	}
	dataSize := int64(32 << 20)
	if env.Quick {
		dataSize = 2 << 20
	}
	idx, imgs, err := withLayers(hello, func(i int, _ string) ([]v1.Layer, error) {
		l, err := randomLayer("opt/bench/data.bin", dataSize, uint64(100+i))
		return []v1.Layer{l}, err
	})
	if err != nil {
		return nil, err
	}
	digest, err := idx.Digest()
	if err != nil {
		return nil, err
	}
	var total int64
	blobs := 0
	for _, pi := range imgs {
		n, err := imageSize(pi.Image)
		if err != nil {
			return nil, err
		}
		m, _ := pi.Image.Manifest()
		total += n
		blobs += 1 + len(m.Layers)
	}

	id := randHex()
	base := "xedgesim-bench/push-" + id
	src := reg + "/" + base + "/src"
	srcTag, err := name.NewTag(src+":bench", name.Insecure)
	if err != nil {
		return nil, err
	}
	if err := remote.WriteIndex(srcTag, idx, remote.WithAuth(authn.Anonymous)); err != nil {
		return nil, fmt.Errorf("pushing the source image to %s: %w", srcTag, err)
	}
	srcRef := src + "@" + digest.String()
	var mu sync.Mutex // repos, against an interrupt's clean-up
	repos := []string{src}
	var cleanOnce sync.Once
	clean := func() {
		cleanOnce.Do(func() {
			mu.Lock()
			defer mu.Unlock()
			deleteImages(repos, digest, imgs)
		})
	}
	defer clean()
	defer onInterrupt(clean)()
	fmt.Fprintf(os.Stderr, "bench: pushed the source image %s (%s in %d blobs)\n", srcRef, mib(float64(total)), blobs)

	proxy, err := newRegistryProxy(reg)
	if err != nil {
		return nil, err
	}
	defer proxy.Close()

	// The third round pushes again through two proxies that answer each
	// request after slowDelay, as registries across a network do: what
	// the tools ask one after the other then shows beside what they ask
	// at once.
	const slowDelay = 10 * time.Millisecond
	slowSrc, err := newSlowRegistryProxy(reg, slowDelay)
	if err != nil {
		return nil, err
	}
	defer slowSrc.Close()
	slowDst, err := newSlowRegistryProxy(reg, slowDelay)
	if err != nil {
		return nil, err
	}
	defer slowDst.Close()

	last := map[string]string{}
	mk := func(tool, round string) Contender {
		label := tool
		if round != "first" {
			label += " " + round
		}
		runs := 0
		return Contender{Name: label, Run: func() (Sample, error) {
			dst, from, p := last[tool], srcRef, proxy
			if round == "first" || dst == "" {
				runs++
				repo := fmt.Sprintf("%s/%s-%d", base, tool, runs)
				if round != "first" {
					repo += "-again"
				}
				mu.Lock()
				repos = append(repos, reg+"/"+repo)
				mu.Unlock()
				dst = proxy.Addr + "/" + repo + ":bench"
				last[tool] = dst
			}
			if round == "slow" {
				dst = strings.Replace(dst, proxy.Addr, slowDst.Addr, 1)
				from = slowSrc.Addr + "/" + base + "/src@" + digest.String()
				p = slowDst
			}
			p.take()
			var sm Sample
			var err error
			if tool == "xedgesim" {
				sm, err = runProcess(env.Root, env.Bin, "push", "--insecure", from, dst)
			} else {
				sm, err = runProcess(env.Root, crane, "copy", "--insecure", from, dst)
			}
			if err != nil {
				return sm, err
			}
			c := p.take()
			sm.Values["uploads"] = float64(c.Uploads)
			sm.Values["mounts"] = float64(c.Mounts)
			sm.Values["bytes"] = float64(c.Bytes)
			sm.Values["requests"] = float64(c.Requests)
			// Both must have put the source's digest there.
			ref, err := name.ParseReference(strings.Replace(strings.Replace(dst, proxy.Addr, reg, 1), slowDst.Addr, reg, 1), name.Insecure)
			if err != nil {
				return sm, err
			}
			got, err := remote.Head(ref, remote.WithAuth(authn.Anonymous))
			if err != nil {
				return sm, fmt.Errorf("%s: checking the pushed image: %w", tool, err)
			}
			if got.Digest != digest {
				return sm, fmt.Errorf("%s pushed %s, want the source's %s", tool, got.Digest, digest)
			}
			return sm, nil
		}}
	}
	first, err := alternate(env.Runs, mk("xedgesim", "first"), mk("crane", "first"))
	if err != nil {
		return nil, err
	}
	again, err := alternate(env.Runs, mk("xedgesim", "again"), mk("crane", "again"))
	if err != nil {
		return nil, err
	}
	slow, err := alternate(env.Runs, mk("xedgesim", "slow"), mk("crane", "slow"))
	if err != nil {
		return nil, err
	}

	var rows strings.Builder
	rows.WriteString("| push | xedgesim push (s) | crane copy (s) | ratio xedgesim/crane | blobs uploaded, xedgesim / crane | bytes uploaded, xedgesim / crane |\n|---|---:|---:|---:|---:|---:|\n")
	var ratios [3]float64
	var againX, againK, slowX, slowK float64
	var ups [3]Stats
	for i, c := range []struct {
		key, what string
		ss        map[string][]Sample
		suffix    string
	}{{"first", "to a fresh repository", first, ""}, {"again", "again, to where it already is", again, " again"},
		{"slow", fmt.Sprintf("again, both registries answering after %s", slowDelay), slow, " slow"}} {
		x := s.figure("push_"+c.key+"_xedgesim_s", "xedgesim push "+c.what, "s", field(c.ss["xedgesim"+c.suffix], wallS))
		k := s.figure("push_"+c.key+"_crane_s", "crane copy "+c.what, "s", field(c.ss["crane"+c.suffix], wallS))
		xu := s.figure("push_"+c.key+"_xedgesim_uploads", "blobs xedgesim push uploaded "+c.what, "blobs", field(c.ss["xedgesim"+c.suffix], value("uploads")))
		ku := s.figure("push_"+c.key+"_crane_uploads", "blobs crane copy uploaded "+c.what, "blobs", field(c.ss["crane"+c.suffix], value("uploads")))
		xb := s.figure("push_"+c.key+"_xedgesim_bytes", "bytes xedgesim push uploaded "+c.what, "B", field(c.ss["xedgesim"+c.suffix], value("bytes")))
		kb := s.figure("push_"+c.key+"_crane_bytes", "bytes crane copy uploaded "+c.what, "B", field(c.ss["crane"+c.suffix], value("bytes")))
		s.figure("push_"+c.key+"_xedgesim_mounts", "blobs xedgesim push mounted "+c.what, "blobs", field(c.ss["xedgesim"+c.suffix], value("mounts")))
		s.figure("push_"+c.key+"_crane_mounts", "blobs crane copy mounted "+c.what, "blobs", field(c.ss["crane"+c.suffix], value("mounts")))
		s.figure("push_"+c.key+"_xedgesim_requests", "HTTP requests of xedgesim push to the destination "+c.what, "requests", field(c.ss["xedgesim"+c.suffix], value("requests")))
		s.figure("push_"+c.key+"_crane_requests", "HTTP requests of crane copy to the destination "+c.what, "requests", field(c.ss["crane"+c.suffix], value("requests")))
		s.figure("push_"+c.key+"_xedgesim_rss_mib", "xedgesim push peak RSS "+c.what, "MiB", field(c.ss["xedgesim"+c.suffix], rssMiB))
		s.figure("push_"+c.key+"_crane_rss_mib", "crane copy peak RSS "+c.what, "MiB", field(c.ss["crane"+c.suffix], rssMiB))
		ratios[i] = x.Median / k.Median
		switch i {
		case 1:
			againX, againK = x.Median, k.Median
		case 2:
			slowX, slowK = x.Median, k.Median
		}
		ups[i] = xu
		s.figure("push_"+c.key+"_ratio", "xedgesim/crane wall time "+c.what+" (of medians)", "ratio", Stats{Median: ratios[i], Min: ratios[i], Max: ratios[i], N: 1})
		fmt.Fprintf(&rows, "| %s | %.2f (%.2f–%.2f) | %.2f (%.2f–%.2f) | %.2f | %s / %s | %s / %s |\n", c.what, x.Median, x.Min, x.Max, k.Median, k.Min, k.Max, ratios[i],
			countRange(xu), countRange(ku), mib(xb.Median), mib(kb.Median))
	}
	s.target("push to a fresh repository: xedgesim push against crane copy", "no slower than crane copy (ratio ≤ 1)",
		fmt.Sprintf("%.3f× (%.3f s against %.3f s)", ratios[0], s.Figures[0].Median, s.Figures[1].Median), ratios[0] <= 1)
	s.target("pushing an unchanged image again", "no blob uploaded",
		fmt.Sprintf("%s blobs uploaded over %d pushes", countRange(ups[1]), ups[1].N), ups[1].Max == 0)
	s.target("push again: xedgesim push against crane copy", "no slower than crane copy (ratio ≤ 1)",
		fmt.Sprintf("%.2f× (%.3f s against %.3f s)", ratios[1], againX, againK), ratios[1] <= 1)
	s.target(fmt.Sprintf("push again, registries answering after %s: xedgesim push against crane copy", slowDelay), "no slower than crane copy (ratio ≤ 1)",
		fmt.Sprintf("%.2f× (%.3f s against %.3f s)", ratios[2], slowX, slowK), ratios[2] <= 1)

	var body strings.Builder
	fmt.Fprintf(&body, "The image: `%s` built by `xedgesim build --go` for %s, each platform with a further layer of %s of random bytes "+
		"(incompressible, so that the figures are of moving bytes rather than starting a process): %d blobs, %s compressed, index `%s`. "+
		"`bin/xedgesim push --insecure SRC DST` and crane %s (`crane copy --insecure SRC DST`, built from tools/crane), both with their default parallelism, "+
		"copy it from one repository of the test bed's plain registry (%s) to a fresh repository of the same registry for every run. "+
		"The destination is reached through a counting reverse proxy in the bench, which also drops the cross-repository mount parameters from upload requests "+
		"(both ask the registry to mount each blob from the source repository, which it would, both being in one registry): both upload every blob, as a copy between two registries must. "+
		"The proxy counts completed blob uploads, mounts, uploaded bytes and requests. "+
		"Both are checked to have put the source's digest at the destination. "+
		"\"Again\" pushes the same image to the repository the tool pushed it to in the first round. "+
		"The last row pushes it again with the source and the destination each reached through a proxy that answers every request after %s, "+
		"as registries across a network do (requests counted at the destination's). The times are of the whole process, start to exit.\n\n",
		buildPkg, buildPlatforms, mib(float64(dataSize)), blobs, mib(float64(total)), digest, craneVersion, reg, slowDelay)
	body.WriteString(rows.String())
	body.WriteString("\n")
	s.Body = body.String()
	return s, nil
}

// countRange is a count over runs: one number when it never changed.
func countRange(st Stats) string {
	if st.Min == st.Max {
		return fmt.Sprintf("%.0f", st.Min)
	}
	return fmt.Sprintf("%.0f (%.0f–%.0f)", st.Median, st.Min, st.Max)
}

// deleteImages removes the index and its platform manifests from each
// repository, as far as the registry allows deleting; the blobs stay, as
// one copy shared by every run.
func deleteImages(repos []string, digest v1.Hash, imgs []platformImage) {
	ds := []v1.Hash{digest}
	for _, pi := range imgs {
		if d, err := pi.Image.Digest(); err == nil {
			ds = append(ds, d)
		}
	}
	for _, repo := range repos {
		for _, d := range ds {
			if r, err := name.NewDigest(repo+"@"+d.String(), name.Insecure); err == nil {
				remote.Delete(r, remote.WithAuth(authn.Anonymous))
			}
		}
	}
}

func randHex() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}
