package main

import (
	"bytes"
	"errors"

	"go.yaml.in/yaml/v3"
)

// withKnownHosts returns the manifest with known_hosts: lines added to each
// SSH host that names neither known_hosts nor a fingerprint. It is used
// only once the manifest has been checked as written, so the positions of
// every other mistake refer to the user's file.
func withKnownHosts(data []byte, lines string) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("the manifest is not a mapping")
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "hosts" || root.Content[i+1].Kind != yaml.SequenceNode {
			continue
		}
		for _, h := range root.Content[i+1].Content {
			if h.Kind != yaml.MappingNode || hasAnyKey(h, "known_hosts", "fingerprint", "fingerprints", "local") {
				continue
			}
			h.Style = 0 // block style: a flow mapping cannot hold the lines
			h.Content = append(h.Content,
				&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "known_hosts"},
				&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: lines, Style: yaml.LiteralStyle})
		}
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func hasAnyKey(m *yaml.Node, keys ...string) bool {
	for i := 0; i+1 < len(m.Content); i += 2 {
		for _, k := range keys {
			if m.Content[i].Value == k {
				return true
			}
		}
	}
	return false
}
