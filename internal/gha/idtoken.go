package gha

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ErrNoIDToken says the job cannot get an OIDC token: it does not run in
// GitHub Actions, or lacks permissions: id-token: write.
var ErrNoIDToken = errors.New("no OIDC token: the job needs permissions: id-token: write (ACTIONS_ID_TOKEN_REQUEST_URL is unset)")

// IDToken asks the Actions runtime for the job's OIDC token with the
// given audience, from ACTIONS_ID_TOKEN_REQUEST_URL with the bearer
// ACTIONS_ID_TOKEN_REQUEST_TOKEN, both read through getenv. The token is
// a secret: callers mask it and never log it.
func IDToken(ctx context.Context, getenv func(string) string, audience string) (string, error) {
	reqURL, bearer := getenv("ACTIONS_ID_TOKEN_REQUEST_URL"), getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
	if reqURL == "" || bearer == "" {
		return "", ErrNoIDToken
	}
	u, err := url.Parse(reqURL)
	if err != nil {
		return "", fmt.Errorf("ACTIONS_ID_TOKEN_REQUEST_URL: %w", err)
	}
	q := u.Query()
	q.Set("audience", audience)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", fmt.Errorf("requesting the job's OIDC token: %w", err)
	}
	req.Header.Set("Authorization", "bearer "+bearer)
	req.Header.Set("Accept", "application/json")
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return "", fmt.Errorf("requesting the job's OIDC token: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", fmt.Errorf("requesting the job's OIDC token: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("requesting the job's OIDC token: %s", resp.Status)
	}
	var v struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(b, &v); err != nil || strings.Count(v.Value, ".") != 2 {
		return "", errors.New("requesting the job's OIDC token: the answer holds no token")
	}
	return v.Value, nil
}
