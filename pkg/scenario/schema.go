package scenario

import _ "embed"

//go:embed schema.json
var schema []byte

// Schema returns the JSON Schema (draft 2020-12) of the scenario format,
// extensions included, for editors and for `xedgesim schema`. Load is the
// authority: the schema cannot say that a link's src must name a node, or
// that a model file must exist.
func Schema() []byte {
	return append([]byte(nil), schema...)
}
