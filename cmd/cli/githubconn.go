package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"

	"github.com/tpscan/tpscan/scanner/github"
)

// githubConn is how a command reaches GitHub: host, credential, cache and
// limits, with the environment, transport and gh CLI injectable for tests.
// Every command that talks to GitHub (org, repo, upload-sarif) connects
// through connectGitHub, so they authenticate alike.
type githubConn struct {
	ErrOut         io.Writer
	GitHubURL      string
	AppID          int64
	InstallationID int64
	PrivateKey     string
	CacheDir       string
	NoCache        bool
	Concurrency    int
	Getenv         func(string) string
	Transport      http.RoundTripper
	RunGH          func(ctx context.Context, args ...string) ([]byte, error)
	Limits         github.LimitConfig
}

func (o *AuditOptions) conn() githubConn {
	return githubConn{ErrOut: o.IO.ErrOut, GitHubURL: o.GitHubURL, AppID: o.AppID, InstallationID: o.InstallationID,
		PrivateKey: o.PrivateKey, CacheDir: o.CacheDir, NoCache: o.NoCache, Concurrency: o.Concurrency, Getenv: o.Getenv,
		Transport: o.Transport, RunGH: o.RunGH, Limits: o.Limits}
}

// connectGitHub resolves the credential (gh's order, or a GitHub App of
// owner) and builds the client; every error is a usage error (exit 2).
func connectGitHub(ctx context.Context, c githubConn, owner string) (*github.Client, *github.Credential, string, error) {
	getenv := c.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	restURL, graphqlURL, host, err := github.APIURLs(c.GitHubURL)
	if err != nil {
		return nil, nil, "", &exitError{code: ExitUsage, err: err}
	}
	runGH := c.RunGH
	if runGH == nil && c.Getenv == nil {
		runGH = runGHCLI
	}
	cred, err := github.ResolveCredential(ctx, github.AuthOptions{Host: host, APIURL: restURL, Getenv: getenv, RunGH: runGH,
		AppID: c.AppID, InstallationID: c.InstallationID, PrivateKeyPath: c.PrivateKey, Org: owner, Base: c.Transport})
	if err != nil {
		return nil, nil, "", &exitError{code: ExitUsage, err: err}
	}
	var cache *github.Cache
	if !c.NoCache {
		dir := c.CacheDir
		if dir == "" {
			if d, err := os.UserCacheDir(); err == nil {
				dir = filepath.Join(d, "tpscan")
			}
		}
		if dir != "" {
			if cache, err = github.OpenCache(dir, credentialKey(cred)); err != nil {
				fmt.Fprintf(c.ErrOut, "tpscan: cache disabled: %v\n", err)
				cache = nil
			}
		}
	}
	limits := c.Limits
	limits.Concurrency = c.Concurrency
	client, err := github.NewClient(github.Config{APIURL: restURL, GraphQLURL: graphqlURL, Credential: cred, Transport: c.Transport,
		Cache: cache, Limits: limits, UserAgent: "tpscan/" + Version})
	if err != nil {
		return nil, nil, "", &exitError{code: ExitUsage, err: err}
	}
	return client, cred, host, nil
}

// credentialKey keys the cache: a value only the credential's holder has.
func credentialKey(c *github.Credential) []byte { return github.CacheKey(c) }
