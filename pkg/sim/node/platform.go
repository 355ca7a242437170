package node

// Platformed is implemented by nodes that run a platform's image
// (containers): the platform it is for (os/arch[/variant]) and, when
// known, that platform image's manifest digest, which is what a device of
// the platform pulls from a multi-platform index.
type Platformed interface {
	Platform() (platform, digest string)
}
