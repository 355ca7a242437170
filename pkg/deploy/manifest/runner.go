package manifest

import (
	"strconv"
	"time"
)

// runnerLabel is what a self-hosted runner's label may hold here: GitHub
// takes more, but a label also names artifacts and log groups.
var runnerLabel = lazyRegexp(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// runner reads hosts[i].runner: the label of the device's own runner. A
// runner host deploys to its own engine, so it takes no local: key.
func (d *decoder) runner(r field, w string, f map[string]field) string {
	label := d.str(r, w+".runner")
	if !runnerLabel().MatchString(label) {
		d.Errorf(r.Val, "", "write runner: device-pi-017 (the label of the device's self-hosted runner: letters, digits, . _ -)", "%s.runner %s is not a runner label", w, strconv.Quote(label))
	}
	if l, ok := f["local"]; ok {
		d.Errorf(l.Key, "", "remove local: a runner host always deploys to its own engine", "%s is a runner: it takes no local", w)
	}
	return label
}

// OfflinePolicy is r.Offline, fail when the manifest does not say.
func (r Rollout) OfflinePolicy() Offline {
	if r.Offline == "" {
		return OfflineFail
	}
	return r.Offline
}

// TimeoutMinutes is a wave job's timeout-minutes: wave_timeout rounded
// up to whole minutes, DefaultWaveTimeout when the manifest does not say.
func (r Rollout) TimeoutMinutes() int {
	t := r.WaveTimeout
	if t == 0 {
		t = DefaultWaveTimeout
	}
	return int((t + time.Minute - 1) / time.Minute)
}

// runnerRollout reads the rollout keys that only a rollout through runners
// uses.
func (d *decoder) runnerRollout(rf map[string]field, r *Rollout) {
	if o, ok := rf["offline"]; ok {
		r.Offline = Offline(d.str(o, "rollout.offline"))
		if r.Offline != OfflineFail && r.Offline != OfflineSkip {
			d.Errorf(o.Val, "", "write skip (the rollout goes on; the device keeps its old digest) or fail (it counts as a failed device)", "unknown rollout.offline %s", strconv.Quote(string(r.Offline)))
		}
	}
	if t, ok := rf["wave_timeout"]; ok {
		r.WaveTimeout = d.duration(t, "rollout.wave_timeout", DefaultWaveTimeout)
	}
	if r.WaveTimeout != 0 && (r.WaveTimeout < time.Minute || r.WaveTimeout > 72*time.Hour) {
		d.Errorf(rf["wave_timeout"].Val, "", "write 30m: a wave's job gets whole minutes (timeout-minutes), at least 1", "rollout.wave_timeout %s is not between 1m and 72h", r.WaveTimeout)
	}
}
