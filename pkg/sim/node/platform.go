package node

import "github.com/xedgesim/simulate/pkg/scenario"

// Platformed is implemented by nodes that run a platform's image
// (containers): the platform it is for (os/arch[/variant]) and, when
// known, that platform image's manifest digest, which is what a device of
// the platform pulls from a multi-platform index.
type Platformed interface {
	Platform() (platform, digest string)
}

// Noted is implemented by nodes with notes on how they resolved what the
// scenario says (a path found relative to the working directory, an image
// used as the engine had it); the run adds them to its warnings.
type Noted interface {
	Notes() []scenario.Diagnostic
}
