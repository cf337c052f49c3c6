package snapshot

import (
	"bytes"
	"strings"
	"testing"
)

func TestWriteNeverWritesSecretValues(t *testing.T) {
	canary := "npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
	inv := &Inventory{Org: "acme",
		Secrets:      []Secret{{Name: "ORG_NPM_TOKEN", Visibility: "all", Value: canary}},
		Repositories: []Repository{{Name: "acme/a", SecretsListed: true, Secrets: []Secret{{Name: "NPM_TOKEN", Value: canary}}}},
	}
	var buf bytes.Buffer
	if err := Write(&buf, inv); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), canary) || strings.Contains(buf.String(), `"value"`) && strings.Contains(buf.String(), "npm_") {
		t.Fatalf("snapshot holds a secret value:\n%s", buf.String())
	}
	if inv.Secrets[0].Value != canary {
		t.Error("Write must not modify its input")
	}
	back, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if back.Version != Version || back.Repositories[0].Secrets[0].Name != "NPM_TOKEN" || !back.Repositories[0].SecretsListed {
		t.Errorf("round trip = %+v", back)
	}
}

func TestReadRejectsNewerVersions(t *testing.T) {
	if _, err := Read(strings.NewReader(`{"version": 99, "repositories": []}`)); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("err = %v", err)
	}
}
