package node

import (
	"net/url"
	"slices"
	"sort"
	"strings"
)

// SensorHTTP is how a built-in sensor sends its readings to an app that
// takes HTTP (config.http): one request per reading. URL and Body are
// templates of {id}, {seq}, {value}, {time_us}, {time_ms} and {type}, as
// SensorMQTT's; an empty Body is the default JSON reading. A URL whose
// host is a docker node's id reaches that container's port, published on
// loopback for the run.
type SensorHTTP struct {
	URL    string
	Method string
	Body   string
}

// httpMethods are the methods a reading is sent with.
var httpMethods = []string{"POST", "PUT", "PATCH", "GET"}

// readSensorHTTP reads config.http: {url, method, body}; nil without it.
func readSensorHTTP(c *config) *SensorHTTP {
	v, ok := c.value("http")
	if !ok {
		return nil
	}
	const example = `{url: "http://gateway1:8080/readings/{id}", method: POST, body: '{"seq": {seq}, "value": {value}}'}`
	mm, isMap := v.(map[string]any)
	if !isMap {
		c.fail("http", "must be a mapping: %s", example)
		return nil
	}
	h := &SensorHTTP{Method: "POST"}
	keys := make([]string, 0, len(mm))
	for k := range mm {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch k {
		case "url", "body":
			s, ok := c.template("http", k, mm[k], k == "url")
			if !ok {
				continue
			}
			if k == "url" {
				h.URL = s
			} else {
				h.Body = s
			}
		case "method":
			s, isStr := mm[k].(string)
			m := strings.ToUpper(s)
			if !isStr || !slices.Contains(httpMethods, m) {
				c.fail("http", "method must be one of %s, got %v", strings.Join(httpMethods, ", "), mm[k])
				continue
			}
			h.Method = m
		default:
			c.fail("http", "unknown key %q; use url, method and body", k)
		}
	}
	if h.URL == "" {
		if _, has := mm["url"]; !has {
			c.fail("http", "needs url: %s", example)
		}
		return nil
	}
	// The placeholders stand for plain words and numbers: check the URL
	// with them filled in.
	u, err := url.Parse(Render(h.URL, "id", "type", 1, 1, 1))
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		c.fail("http", "url %q: write an http:// or https:// URL with a host, e.g. http://gateway1:8080/readings", h.URL)
		return nil
	}
	return h
}

// HTTP returns how the sensor sends its readings over HTTP; nil when it
// does not.
func (s *Sensor) HTTP() *SensorHTTP { return s.http }
