package scenario

import (
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/xedgesim/simulate/internal/yamldiag"
)

func (d *decoder) network(e yamldiag.Entry, r *refs) Network {
	net := defaultNetwork()
	net.Pos = d.Pos(e.Key)
	m := d.Map(e.Val, "network", "'network' section", "write network: with model: and other keys indented under it")
	if m == nil {
		return net
	}
	d.checkKeys(m, secNetwork)

	if v, ok := m.Get("model"); ok {
		if model, ok := d.str(v.Val, "network.model", ModelLatency); ok {
			if model == ModelDirect || model == ModelLatency {
				net.Model = model
			} else {
				hint := "write model: direct or model: latency"
				if s := yamldiag.Suggest(model, []string{ModelDirect, ModelLatency}); s != "" {
					hint = "did you mean " + s + "?"
				}
				d.Errorf(v.Val, "network.model", hint, "network.model must be 'direct' or 'latency', got '%s'", yamldiag.Short(model))
				net.Model = ""
			}
		}
	}
	if v, ok := m.Get("default_latency_us"); ok {
		if l, ok := d.integer(v.Val, "network.default_latency_us", "10000"); ok {
			if l < 0 {
				d.Errorf(v.Val, "network.default_latency_us", "write default_latency_us: 10000",
					"network.default_latency_us must be non-negative, got %s", yamldiag.Written(v.Val))
			}
			d.latencyFits(v.Val, "network.default_latency_us", l)
			net.DefaultLatencyUS = l
		}
	}
	if v, ok := m.Get("default_loss_rate"); ok {
		if f, ok := d.lossRate(v.Val, "network.default_loss_rate", "network.default_loss_rate"); ok {
			net.DefaultLossRate = f
		}
	}
	if v, ok := m.Get("links"); ok {
		if seq := d.list(v.Val, "network.links", "network.links",
			"write each link as a list item: - {src: sensor1, dst: gateway, latency_us: 5000}"); seq != nil {
			net.Links = decodeItems(d, seq, "network.links", secLink, "write a link as src:, dst: and latency_us: indented under '- '",
				net.Links, func(path string, m *yamldiag.Mapping) (Link, bool) {
					return d.link(path, m, net, r)
				})
			if net.Model == ModelDirect && len(net.Links) > 0 {
				d.Warnf(v.Key, "network.links", "set model: latency under network: to use them",
					"network.links have no effect with the direct model")
			}
		}
	}
	return net
}

// lossRate reads a probability in [0, 1].
func (d *decoder) lossRate(raw *yaml.Node, path, who string) (float64, bool) {
	f, ok := d.number(raw, path, "0.01")
	if !ok || !d.finite(raw, path, "0.01", f) {
		return 0, false
	}
	if f < 0 || f > 1 {
		d.Errorf(raw, path, "write a probability, e.g. loss_rate: 0.01 for 1%",
			"%s: loss_rate must be in [0.0, 1.0], got %s", who, yamldiag.Written(raw))
		return 0, false
	}
	return f, true
}

func (d *decoder) link(path string, m *yamldiag.Mapping, net Network, r *refs) (Link, bool) {
	l := Link{LatencyUS: net.DefaultLatencyUS, LossRate: net.DefaultLossRate, Pos: d.Pos(m.Node)}
	ref := linkRef{path: path, use: m.Use}
	for _, k := range []struct {
		key string
		dst *string
		ref **yaml.Node
	}{
		{"src", &l.Src, &ref.src},
		{"dst", &l.Dst, &ref.dst},
	} {
		e, ok := d.required(m, path, k.key, "add "+k.key+": <node id>")
		if !ok {
			continue
		}
		if s, ok := d.str(e.Val, path+"."+k.key, "sensor1"); ok {
			*k.dst = s
			*k.ref = e.Val
		}
	}
	who := path
	if l.Src != "" && l.Dst != "" {
		who = fmt.Sprintf("%s (%s->%s)", path, yamldiag.Short(l.Src), yamldiag.Short(l.Dst))
	}
	if e, ok := m.Get("latency_us"); ok {
		if v, ok := d.integer(e.Val, path+".latency_us", "5000"); ok {
			if v < 0 {
				d.Errorf(e.Val, path+".latency_us", "write latency_us: 5000", "%s: latency_us must be non-negative, got %s", who, yamldiag.Written(e.Val))
			}
			d.latencyFits(e.Val, path+".latency_us", v)
			l.LatencyUS = v
		}
	} else if net.Model == ModelLatency {
		d.Errorf(m.Node, path+".latency_us", "add latency_us: <microseconds>",
			"%s: missing required field 'latency_us' for latency model", who)
	}
	if e, ok := m.Get("loss_rate"); ok {
		if f, ok := d.lossRate(e.Val, path+".loss_rate", who); ok {
			l.LossRate = f
		}
	}
	for _, k := range []struct {
		key, example string
		dst          *int64
	}{
		{"jitter_us", "1000", &l.JitterUS},
		{"bandwidth_bps", "1000000", &l.BandwidthBPS},
	} {
		if e, ok := m.Get(k.key); ok {
			if v, ok := d.integer(e.Val, path+"."+k.key, k.example); ok {
				if v < 0 {
					d.Errorf(e.Val, path+"."+k.key, "write "+k.key+": "+k.example+", or 0 for none",
						"%s: %s must be non-negative, got %s", who, k.key, yamldiag.Written(e.Val))
				}
				if k.key == "jitter_us" {
					d.latencyFits(e.Val, path+".jitter_us", v)
				}
				*k.dst = v
			}
		}
	}
	if e, ok := m.Get("bidirectional"); ok {
		if b, ok := d.boolean(e.Val, path+".bidirectional"); ok {
			l.Bidirectional = b
		}
	}
	r.links = append(r.links, ref)
	return l, true
}
