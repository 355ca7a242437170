package scenario

// Option changes how a scenario is loaded.
type Option func(*options)

type options struct {
	strict bool
	limits limits
}

// WithStrict makes unknown and duplicated keys errors instead of warnings.
// CI gates use it so a misspelt key cannot silently fall back to a default.
func WithStrict(strict bool) Option {
	return func(o *options) { o.strict = strict }
}

func makeOptions(opts []Option) options {
	o := options{limits: defaultLimits()}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	return o
}
