package fakegithub

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v4"
	"github.com/google/go-github/v62/github"
)

func appJWT(t *testing.T, key *rsa.PrivateKey, iss any, iat, exp time.Time) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"iss": iss, "iat": iat.Unix(), "exp": exp.Unix()}).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestAppInstallationTokens(t *testing.T) {
	ctx := context.Background()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	clock := &testClock{t: fixedNow}
	s := newServer(t, Options{Now: clock.Now}, true)
	s.Update(func(st *State) {
		st.Apps[42] = &App{ID: 42, Slug: "tpscan", ClientID: "Iv1.abc", PublicKey: &key.PublicKey,
			Installations: []*Installation{{ID: 9, Org: "acme", Repos: []string{"web", "api"},
				Permissions: map[string]string{"metadata": "read", "secrets": "read", "contents": "read"}}}}
	})
	now := fixedNow
	good := appJWT(t, key, 42, now.Add(-time.Minute), now.Add(9*time.Minute))

	for _, tc := range []struct {
		name, jwt string
		status    int
		msg       string
	}{
		{"client id as iss", appJWT(t, key, "Iv1.abc", now.Add(-time.Minute), now.Add(5*time.Minute)), 200, ""},
		{"exp too far", appJWT(t, key, 42, now, now.Add(11*time.Minute)), 401, "'Expiration time' claim ('exp') is too far in the future"},
		{"expired", appJWT(t, key, 42, now.Add(-20*time.Minute), now.Add(-10*time.Minute)), 401, "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"},
		{"wrong key", appJWT(t, other, 42, now, now.Add(5*time.Minute)), 401, "A JSON web token could not be decoded"},
		{"unknown app", appJWT(t, key, 7, now, now.Add(5*time.Minute)), 401, "Integration not found"},
	} {
		r := do(t, "GET", s.URL()+"orgs/acme/installation", "", "", "Authorization", "Bearer "+tc.jwt)
		if r.status != tc.status || (tc.msg != "" && dig(r.json(t), "message") != tc.msg) {
			t.Errorf("%s: %d %s", tc.name, r.status, r.body)
		}
	}
	// A token on an App endpoint and a JWT elsewhere are refused.
	if r := get(t, s, tokAdmin, "orgs/acme/installation"); r.status != 401 {
		t.Errorf("PAT on /orgs/{org}/installation: %d", r.status)
	}
	if r := do(t, "GET", s.URL()+"repos/acme/web", "", "", "Authorization", "Bearer "+good); r.status != 403 {
		t.Errorf("JWT on /repos: %d", r.status)
	}

	app := ghClient(t, s, good)
	inst, _, err := app.Apps.FindOrganizationInstallation(ctx, "acme")
	if err != nil || inst.GetID() != 9 || inst.GetRepositorySelection() != "selected" {
		t.Fatalf("FindOrganizationInstallation: %+v, %v", inst, err)
	}
	it, resp, err := app.Apps.CreateInstallationToken(ctx, inst.GetID(), nil)
	if err != nil || resp.StatusCode != 201 || !strings.HasPrefix(it.GetToken(), "ghs_") ||
		!it.GetExpiresAt().Time.Equal(fixedNow.Add(time.Hour)) || it.GetPermissions().GetSecrets() != "read" || len(it.Repositories) != 2 {
		t.Fatalf("CreateInstallationToken: %+v, %v", it, err)
	}
	_, _, err = app.Apps.CreateInstallationToken(ctx, 9, &github.InstallationTokenOptions{Permissions: &github.InstallationPermissions{Administration: github.String("write")}})
	if err == nil {
		t.Error("asking for more than the installation has must fail (422)")
	}
	narrowed, _, err := app.Apps.CreateInstallationToken(ctx, 9, &github.InstallationTokenOptions{Repositories: []string{"web"}})
	if err != nil || len(narrowed.Repositories) != 1 {
		t.Errorf("narrowed token: %+v, %v", narrowed, err)
	}

	ic := ghClient(t, s, it.GetToken())
	list, _, err := ic.Apps.ListRepos(ctx, nil)
	if err != nil || list.GetTotalCount() != 2 {
		t.Errorf("ListRepos: %+v, %v", list, err)
	}
	if _, _, err := ic.Actions.ListRepoSecrets(ctx, "acme", "api", nil); err != nil {
		t.Errorf("installation token on its private repo: %v", err)
	}
	if _, resp, err := ic.Actions.ListRepoVariables(ctx, "acme", "api", nil); err == nil || resp.StatusCode != 403 ||
		resp.Header.Get("X-Accepted-GitHub-Permissions") != "actions_variables=read" {
		t.Errorf("missing permission: %v", err)
	}
	if _, resp, err := ic.Repositories.Get(ctx, "acme", "internal-tools"); err == nil || resp.StatusCode != 404 {
		t.Errorf("repository outside the installation: %v", err)
	}
	if c := s.Stats().PerToken[Fingerprint(it.GetToken())]; c != 4 { // refused requests are charged too
		t.Errorf("charged to the minted token: %d", c)
	}
	clock.Set(fixedNow.Add(time.Hour))
	if _, resp, err := ic.Apps.ListRepos(ctx, nil); err == nil || resp.StatusCode != 401 {
		t.Errorf("after expiry: %v", err)
	}
}
