package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/xedgesim/simulate/internal/version"
)

// Reporter hears what a registry operation does, for the CLI to render:
// every retry with its reason, and every blob of a push as the registry
// takes it (uploaded, mounted, or already there).
type Reporter interface {
	RetryReporter
	// Blob is called once per blob a push handles.
	Blob(BlobEvent)
}

type nopReporter struct{}

func (nopReporter) Retrying(Retry) {}
func (nopReporter) Blob(BlobEvent) {}

// Option configures a [Client].
type Option func(*options) error

type options struct {
	keychain  authn.Keychain
	creds     map[string]authn.Authenticator
	getenv    func(string) string
	caFiles   []string
	insecure  bool
	jobs      int
	reporter  Reporter
	retry     []RetryOption
	opBackoff remote.Backoff
	userAgent string
}

// DefaultJobs is how many blobs go up at once.
const DefaultJobs = 4

// makeOptions holds every default in one place and validates once.
func makeOptions(opts ...Option) (*options, error) {
	o := &options{
		keychain: authn.DefaultKeychain,
		creds:    map[string]authn.Authenticator{},
		getenv:   os.Getenv,
		jobs:     DefaultJobs,
		reporter: nopReporter{},
		// The whole upload of a blob starts again at most 5 times when
		// the transport could not finish it (see UploadInterruptedError).
		opBackoff: remote.Backoff{Duration: time.Second, Factor: 2, Jitter: 0.5, Steps: 5},
		userAgent: "xedgesim/" + version.Get().Version,
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// WithKeychain replaces where credentials come from (default
// [authn.DefaultKeychain]: the Docker config in DOCKER_CONFIG or ~/.docker,
// with its credential helpers). Explicit credentials and the Actions token
// are looked at first either way.
func WithKeychain(k authn.Keychain) Option {
	return func(o *options) error {
		if k == nil {
			return errors.New("keychain must not be nil")
		}
		o.keychain = k
		return nil
	}
}

// WithCredentials logs in to registry (host[:port], e.g. ghcr.io) with a
// username and password or token, before any keychain.
func WithCredentials(registry, username, password string) Option {
	return func(o *options) error {
		reg, err := name.NewRegistry(registry)
		if err != nil {
			return fmt.Errorf("parsing registry %q: %w", registry, err)
		}
		if username == "" || password == "" {
			return fmt.Errorf("credentials for %s: want both a username and a password", registry)
		}
		o.creds[reg.RegistryStr()] = &authn.Basic{Username: username, Password: password}
		return nil
	}
}

// WithCredentialsFor logs in with a username and password or token to the
// registry of ref, a reference or repository such as the destination of a
// push. With no username it does nothing, so a caller can pass what its
// user gave, given or not.
func WithCredentialsFor(ref, username, password string) Option {
	return func(o *options) error {
		if username == "" {
			return nil
		}
		r, err := name.ParseReference(ref)
		if err != nil {
			return &InputError{Err: fmt.Errorf("parsing reference %q: %w", ref, err)}
		}
		return WithCredentials(r.Context().RegistryStr(), username, password)(o)
	}
}

// WithGetenv sets how environment variables are read (default [os.Getenv]);
// GITHUB_TOKEN, GITHUB_ACTOR and GITHUB_ACTIONS are read through it.
func WithGetenv(getenv func(string) string) Option {
	return func(o *options) error {
		if getenv == nil {
			return errors.New("getenv must not be nil")
		}
		o.getenv = getenv
		return nil
	}
}

// WithCAFile trusts the PEM certificates in path as well as the system's.
func WithCAFile(path string) Option {
	return func(o *options) error {
		if path == "" {
			return errors.New("CA file: empty path")
		}
		o.caFiles = append(o.caFiles, path)
		return nil
	}
}

// WithCAFiles trusts the PEM certificates in every path as well as the
// system's; no path, no change.
func WithCAFiles(paths ...string) Option {
	return func(o *options) error {
		for _, p := range paths {
			if err := WithCAFile(p)(o); err != nil {
				return err
			}
		}
		return nil
	}
}

// WithInsecure allows plain HTTP to any registry and skips TLS
// verification. Only for test registries; loopback registries speak plain
// HTTP without it.
func WithInsecure(insecure bool) Option {
	return func(o *options) error {
		o.insecure = insecure
		return nil
	}
}

// WithJobs bounds how many blobs go up at once (default [DefaultJobs]).
func WithJobs(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("jobs %d: want at least 1", n)
		}
		o.jobs = n
		return nil
	}
}

// WithReporter sets who hears about retries and blobs (default: nobody).
func WithReporter(r Reporter) Option {
	return func(o *options) error {
		if r == nil {
			return errors.New("reporter must not be nil")
		}
		o.reporter = r
		return nil
	}
}

// WithRetry tunes the retry transport.
func WithRetry(opts ...RetryOption) Option {
	return func(o *options) error {
		o.retry = append(o.retry, opts...)
		return nil
	}
}

// withUploadBackoff replaces the backoff between restarts of a whole blob
// upload. Test seam.
func withUploadBackoff(b remote.Backoff) Option {
	return func(o *options) error {
		o.opBackoff = b
		return nil
	}
}

// Client talks to registries: every request goes through one
// [RetryTransport], with the client's credentials and trust.
type Client struct {
	o         *options
	transport http.RoundTripper
	keychain  authn.Keychain
}

// New returns a Client configured by opts.
func New(opts ...Option) (*Client, error) {
	o, err := makeOptions(opts...)
	if err != nil {
		return nil, fmt.Errorf("configuring registry client: %w", err)
	}
	base, err := baseTransport(o.caFiles, o.insecure)
	if err != nil {
		return nil, fmt.Errorf("configuring registry client: %w", err)
	}
	rt, err := NewRetryTransport(base, append([]RetryOption{WithRetryReporter(o.reporter)}, o.retry...)...)
	if err != nil {
		return nil, fmt.Errorf("configuring registry client: %w", err)
	}
	c := &Client{o: o, transport: rt}
	c.keychain = authn.NewMultiKeychain(staticKeychain(o.creds), o.keychain, actionsKeychain{getenv: o.getenv})
	return c, nil
}

// NewTransport returns the toolkit's HTTP transport for registries: the
// system's roots plus caFiles (nil for none), TLS verification off only
// when insecure, and the retries of [RetryTransport]. Build and deploy use
// it for their own registry calls.
func NewTransport(caFiles []string, insecure bool, opts ...RetryOption) (*RetryTransport, error) {
	base, err := baseTransport(caFiles, insecure)
	if err != nil {
		return nil, err
	}
	return NewRetryTransport(base, opts...)
}

func baseTransport(caFiles []string, insecure bool) (*http.Transport, error) {
	t := remote.DefaultTransport.(*http.Transport).Clone()
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(caFiles) > 0 {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		for _, f := range caFiles {
			pem, err := os.ReadFile(f) // #nosec G304 -- a CA file the user configured
			if err != nil {
				return nil, &InputError{Err: fmt.Errorf("reading CA file: %w", err)}
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, &InputError{Err: fmt.Errorf("reading CA file %s: no PEM certificate in it", f)}
			}
		}
		cfg.RootCAs = pool
	}
	if insecure {
		cfg.InsecureSkipVerify = true // #nosec G402 -- only with --insecure
	}
	t.TLSClientConfig = cfg
	// A registry that stops answering should fail the attempt, not hang.
	t.ResponseHeaderTimeout = 2 * time.Minute
	return t, nil
}

// Transport is the client's retrying transport.
func (c *Client) Transport() http.RoundTripper { return c.transport }

// Keychain is where the client finds credentials: explicit ones, then the
// Docker config, then GITHUB_TOKEN for ghcr.io inside Actions.
func (c *Client) Keychain() authn.Keychain { return c.keychain }

// NameOptions are the options to parse references with (plain HTTP for
// every registry with WithInsecure).
func (c *Client) NameOptions() []name.Option {
	if c.o.insecure {
		return []name.Option{name.Insecure}
	}
	return nil
}

// ParseReference parses a registry reference with the client's name options.
func (c *Client) ParseReference(s string) (name.Reference, error) {
	ref, err := name.ParseReference(s, c.NameOptions()...)
	if err != nil {
		return nil, &InputError{Err: fmt.Errorf("parsing reference %q: %w", s, err)}
	}
	return ref, nil
}

// RemoteOptions are the go-containerregistry options that make remote
// calls use the client's transport, credentials, parallelism and context.
// go-containerregistry's own status retries are off (the transport does
// them, honouring Retry-After); its whole-operation retry is kept only to
// restart a blob upload the transport could not finish.
func (c *Client) RemoteOptions(ctx context.Context) []remote.Option {
	return c.remoteOptions(ctx, c.transport)
}

func (c *Client) remoteOptions(ctx context.Context, rt http.RoundTripper) []remote.Option {
	return []remote.Option{
		remote.WithContext(ctx),
		remote.WithTransport(rt),
		remote.WithAuthFromKeychain(c.keychain),
		remote.WithJobs(c.o.jobs),
		remote.WithUserAgent(c.o.userAgent),
		remote.WithRetryStatusCodes(),
		remote.WithRetryBackoff(c.o.opBackoff),
		remote.WithRetryPredicate(c.restartUpload),
	}
}

// restartUpload tells go-containerregistry whether to start a whole
// operation again. Only blob uploads the transport could not finish
// qualify; everything else the transport has already retried.
func (c *Client) restartUpload(err error) bool {
	if err == nil {
		return false
	}
	var ui *UploadInterruptedError
	if errors.As(err, &ui) {
		// The transport reported it already.
		return true
	}
	reason := ""
	var te *transport.Error
	switch {
	case errors.As(err, &te):
		for _, d := range te.Errors {
			switch d.Code {
			case transport.BlobUploadInvalidErrorCode, transport.BlobUploadUnknownErrorCode, transport.DigestInvalidErrorCode:
				reason = string(d.Code)
			}
		}
	}
	if reason == "" {
		return false
	}
	c.o.reporter.Retrying(Retry{Reason: "the registry refused a blob upload (" + reason + ")", Restart: true})
	return true
}

// staticKeychain holds explicit credentials by registry.
type staticKeychain map[string]authn.Authenticator

func (s staticKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	if a, ok := s[r.RegistryStr()]; ok {
		return a, nil
	}
	return authn.Anonymous, nil
}

// actionsKeychain logs in to ghcr.io with GITHUB_TOKEN inside GitHub
// Actions, so a workflow needs no login step.
type actionsKeychain struct {
	getenv func(string) string
}

// GHCR is GitHub's container registry.
const GHCR = "ghcr.io"

func (k actionsKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	token := k.getenv("GITHUB_TOKEN")
	if r.RegistryStr() != GHCR || token == "" || k.getenv("GITHUB_ACTIONS") != "true" {
		return authn.Anonymous, nil
	}
	user := k.getenv("GITHUB_ACTOR")
	if user == "" {
		user = "x-access-token"
	}
	return &authn.Basic{Username: user, Password: token}, nil
}

// InputError is a mistake in what the caller asked for: a malformed
// reference, a missing file, a digest that does not match. Exit code 3.
type InputError struct {
	Err error
}

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// ExitCode implements the CLI's exit code interface: 3, invalid input.
func (e *InputError) ExitCode() int { return 3 }

// hashOf parses a digest string.
func hashOf(s string) (v1.Hash, error) {
	h, err := v1.NewHash(s)
	if err != nil {
		return v1.Hash{}, &InputError{Err: fmt.Errorf("parsing digest %q: %w", s, err)}
	}
	return h, nil
}
