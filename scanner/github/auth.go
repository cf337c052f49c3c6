package github

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"gopkg.in/yaml.v3"
)

// Credential is how the scan authenticates. The token itself never leaves
// this type: String, errors and reports show its source and a fingerprint.
type Credential struct {
	// Source says where it came from: "GH_TOKEN", "gh auth token", ...
	Source string
	// Kind is what the token's prefix says it is: classic, fine-grained,
	// oauth (a gh login), installation, user-to-server, or unknown.
	Kind string
	// Note explains a choice the user may not expect (GH_TOKEN used for an
	// enterprise host, say).
	Note string

	token string
	// app is set for a GitHub App installation.
	app *ghinstallation.Transport
	// appKey keys the cache for App installations, whose tokens rotate.
	appKey []byte
}

// Fingerprint is a short, non-reversible identifier of the credential.
func (c *Credential) Fingerprint() string {
	sum := sha256.Sum256(c.cacheSecret())
	return hex.EncodeToString(sum[:4])
}

func (c *Credential) cacheSecret() []byte {
	if c.app != nil {
		return append([]byte(fmt.Sprintf("app:%d:%d:", c.app.AppID(), c.app.InstallationID())), c.appKey...)
	}
	return []byte(c.token)
}

// String never includes the token.
func (c *Credential) String() string {
	if c.app != nil {
		return fmt.Sprintf("GitHub App %d, installation %d", c.app.AppID(), c.app.InstallationID())
	}
	return fmt.Sprintf("%s token from %s (fingerprint %s)", c.Kind, c.Source, c.Fingerprint())
}

// transport adds the Authorization header.
func (c *Credential) transport(base http.RoundTripper) http.RoundTripper {
	if c.app != nil {
		return c.app
	}
	return &tokenTransport{base: base, token: c.token}
}

// secrets are the strings an error must never show.
func (c *Credential) secrets() []string {
	if c.token != "" {
		return []string{c.token}
	}
	return nil
}

type tokenTransport struct {
	base  http.RoundTripper
	token string
}

func (t *tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+t.token)
	return t.base.RoundTrip(r)
}

// TokenCredential wraps a token given directly (tests, --token-stdin).
func TokenCredential(token, source string) *Credential {
	return &Credential{Source: source, Kind: tokenKind(token), token: token}
}

func tokenKind(t string) string {
	switch {
	case strings.HasPrefix(t, "ghp_"):
		return "classic"
	case strings.HasPrefix(t, "github_pat_"):
		return "fine-grained"
	case strings.HasPrefix(t, "gho_"):
		return "oauth"
	case strings.HasPrefix(t, "ghs_"):
		return "installation"
	case strings.HasPrefix(t, "ghu_"):
		return "user-to-server"
	case len(t) == 40 && isHex(t):
		return "classic"
	}
	return "unknown"
}

func isHex(s string) bool {
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

// AuthOptions say where to look for a credential. Everything that touches
// the machine is injected so the order can be tested.
type AuthOptions struct {
	// Host is "github.com" or an Enterprise Server host name.
	Host string
	// APIURL is the REST base URL, for minting App installation tokens.
	APIURL string
	Getenv func(string) string
	// ReadFile reads gh's hosts.yml.
	ReadFile func(string) ([]byte, error)
	// RunGH runs the gh CLI (nil: gh is not consulted).
	RunGH func(ctx context.Context, args ...string) ([]byte, error)
	// App authentication: all three set means App, not a token.
	AppID          int64
	InstallationID int64
	PrivateKeyPath string
	// Org finds the App's installation when InstallationID is 0.
	Org string
	// Base is the HTTP transport under the App's token minting.
	Base http.RoundTripper
}

// ErrNoCredential is returned when no credential was found anywhere.
var ErrNoCredential = errors.New("no GitHub credential: set GH_TOKEN (or GITHUB_TOKEN), log in with `gh auth login`, or pass --app-id, --installation-id and --private-key")

// ResolveCredential finds a credential the way gh does: for github.com
// GH_TOKEN, then GITHUB_TOKEN, then gh's stored login (hosts.yml, then `gh
// auth token`); for an Enterprise Server GH_ENTERPRISE_TOKEN and
// GITHUB_ENTERPRISE_TOKEN first (gh never sends GH_TOKEN to another host;
// tpscan falls back to it, and says so). A GitHub App wins when configured.
func ResolveCredential(ctx context.Context, o AuthOptions) (*Credential, error) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if o.AppID != 0 || o.PrivateKeyPath != "" {
		return appCredential(ctx, o)
	}
	host := o.Host
	if host == "" {
		host = "github.com"
	}
	enterprise := host != "github.com" && !strings.HasSuffix(host, ".ghe.com") && host != "github.localhost"
	var order []string
	if enterprise {
		order = []string{"GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN"}
	} else {
		order = []string{"GH_TOKEN", "GITHUB_TOKEN"}
	}
	for _, name := range order {
		if t := strings.TrimSpace(getenv(name)); t != "" {
			return &Credential{Source: name, Kind: tokenKind(t), token: t}, nil
		}
	}
	if t := hostsFileToken(o, getenv, host); t != "" {
		return &Credential{Source: "gh hosts.yml", Kind: tokenKind(t), token: t}, nil
	}
	if o.RunGH != nil {
		if out, err := o.RunGH(ctx, "auth", "token", "--hostname", host); err == nil {
			if t := strings.TrimSpace(string(out)); t != "" && !strings.ContainsAny(t, " \n") {
				return &Credential{Source: "gh auth token", Kind: tokenKind(t), token: t}, nil
			}
		}
	}
	if enterprise {
		for _, name := range []string{"GH_TOKEN", "GITHUB_TOKEN"} {
			if t := strings.TrimSpace(getenv(name)); t != "" {
				return &Credential{Source: name, Kind: tokenKind(t), token: t,
					Note: fmt.Sprintf("%s is meant for github.com; using it for %s because GH_ENTERPRISE_TOKEN is not set", name, host)}, nil
			}
		}
	}
	return nil, ErrNoCredential
}

// hostsFileToken reads gh's hosts.yml (GH_CONFIG_DIR, XDG_CONFIG_HOME or
// ~/.config/gh). Newer gh versions keep the token in the system keyring
// instead, which `gh auth token` reads.
func hostsFileToken(o AuthOptions, getenv func(string) string, host string) string {
	read := o.ReadFile
	if read == nil {
		read = os.ReadFile
	}
	dir := getenv("GH_CONFIG_DIR")
	if dir == "" {
		if x := getenv("XDG_CONFIG_HOME"); x != "" {
			dir = filepath.Join(x, "gh")
		} else if h := getenv("HOME"); h != "" {
			dir = filepath.Join(h, ".config", "gh")
		}
	}
	if dir == "" {
		return ""
	}
	b, err := read(filepath.Join(dir, "hosts.yml"))
	if err != nil {
		return ""
	}
	var hosts map[string]struct {
		OAuthToken string `yaml:"oauth_token"`
	}
	if yaml.Unmarshal(b, &hosts) != nil {
		return ""
	}
	return hosts[host].OAuthToken
}

func appCredential(ctx context.Context, o AuthOptions) (*Credential, error) {
	if o.AppID == 0 || o.PrivateKeyPath == "" {
		return nil, errors.New("GitHub App authentication needs --app-id and --private-key (and --installation-id, or an organisation to find it)")
	}
	key, err := os.ReadFile(o.PrivateKeyPath)
	if err != nil {
		return nil, fmt.Errorf("reading the App's private key: %w", err)
	}
	base := o.Base
	if base == nil {
		base = http.DefaultTransport
	}
	apiURL := strings.TrimSuffix(o.APIURL, "/")
	if apiURL == "" {
		apiURL = "https://api.github.com"
	}
	installation := o.InstallationID
	if installation == 0 {
		if o.Org == "" {
			return nil, errors.New("GitHub App authentication needs --installation-id when no organisation is given")
		}
		installation, err = findInstallation(ctx, base, apiURL, o.AppID, key, o.Org)
		if err != nil {
			return nil, err
		}
	}
	tr, err := ghinstallation.New(base, o.AppID, installation, key)
	if err != nil {
		return nil, fmt.Errorf("GitHub App %d: %w", o.AppID, err)
	}
	tr.BaseURL = apiURL
	return &Credential{Source: "GitHub App", Kind: "installation", app: tr, appKey: key}, nil
}

// findInstallation asks GitHub which installation of the App covers org.
func findInstallation(ctx context.Context, base http.RoundTripper, apiURL string, appID int64, key []byte, org string) (int64, error) {
	atr, err := ghinstallation.NewAppsTransport(base, appID, key)
	if err != nil {
		return 0, fmt.Errorf("GitHub App %d: %w", appID, err)
	}
	atr.BaseURL = apiURL
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, apiURL+"/orgs/"+url.PathEscape(org)+"/installation", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	resp, err := (&http.Client{Transport: atr}).Do(req)
	if err != nil {
		return 0, fmt.Errorf("finding the installation of App %d on %s: %w", appID, org, err)
	}
	defer resp.Body.Close()
	var body struct {
		ID int64 `json:"id"`
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("finding the installation of App %d on %s: HTTP %d (is the App installed there?)", appID, org, resp.StatusCode)
	}
	if err := decodeJSON(resp.Body, &body); err != nil || body.ID == 0 {
		return 0, fmt.Errorf("finding the installation of App %d on %s: unexpected answer", appID, org)
	}
	return body.ID, nil
}

// CacheKey is the secret the on-disk cache of this credential is encrypted
// with: the token, or the App's key and installation.
func CacheKey(c *Credential) []byte { return c.cacheSecret() }
