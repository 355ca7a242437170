package scenario

import "github.com/xedgesim/simulate/internal/yamldiag"

func (d *decoder) mlInference(e yamldiag.Entry) map[string]any {
	m := d.Map(e.Val, "ml_inference", "'ml_inference' section", "write ml_inference: with placement: and edge_config: or cloud_config: under it")
	if m == nil {
		return nil
	}
	d.checkKeys(m, secML)
	out, _ := d.Value(e.Val, "ml_inference").(map[string]any)

	pe, ok := m.Get("placement")
	if !ok {
		d.Errorf(e.Key, "ml_inference.placement", "add placement: edge or placement: cloud",
			"ml_inference section must specify 'placement'")
		return out
	}
	placement, ok := d.str(pe.Val, "ml_inference.placement", "edge")
	if !ok {
		return out
	}
	switch placement {
	case "edge":
		d.mlConfig(m, pe, "edge")
	case "cloud":
		d.mlConfig(m, pe, "cloud")
	default:
		hint := "write placement: edge or placement: cloud"
		if s := yamldiag.Suggest(placement, []string{"edge", "cloud"}); s != "" {
			hint = "did you mean " + s + "?"
		}
		d.Errorf(pe.Val, "ml_inference.placement", hint, "ml_inference.placement must be 'edge' or 'cloud', got '%s'", yamldiag.Short(placement))
	}
	return out
}

// mlConfig checks the edge_config or cloud_config the placement selects.
// Like upstream, only the selected one is checked.
func (d *decoder) mlConfig(m *yamldiag.Mapping, placement yamldiag.Entry, tier string) {
	name := tier + "_config"
	path := "ml_inference." + name
	ce, ok := m.Get(name)
	if !ok || yamldiag.IsNull(ce.Val) {
		d.Errorf(placement.Val, path, "add "+name+": with model_path: under ml_inference:",
			"ml_inference.placement='%s' requires '%s' section", tier, name)
		return
	}
	cm := d.Map(ce.Val, path, path, "write "+name+": with model_path: indented under it")
	if cm == nil {
		return
	}
	d.checkKeys(cm, secMLConfig)
	mp, ok := cm.Get("model_path")
	if !ok {
		d.Errorf(ce.Key, path+".model_path", "add model_path: models/anomaly_detector.onnx",
			"%s must specify 'model_path'", path)
		return
	}
	p, ok := d.str(mp.Val, path+".model_path", "models/anomaly_detector.onnx")
	if !ok {
		return
	}
	if p == "" {
		d.Errorf(mp.Val, path+".model_path", "write model_path: models/anomaly_detector.onnx", "%s.model_path must not be empty", path)
		return
	}
	d.modelFile(mp.Val, path+".model_path", tier, p)
}
