package codescanning

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// FuzzParse: a SARIF file is untrusted input (upload-sarif takes any file
// given). Parse never panics, a file it accepts names a repository, a
// 40/64-hex commit and a refs/ ref, is within the limits, and its encoded
// form decodes back to the input bytes.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"tpscan","rules":[]}},"results":[],` +
		`"automationDetails":{"id":"tpscan/org/"},"versionControlProvenance":[{"repositoryUri":"https://github.com/o/r",` +
		`"revisionId":"` + testCommit + `","branch":"refs/heads/main"}],"properties":{"tpscan/repository":"o/r","tpscan/partial":false}}]}`))
	f.Add([]byte(`{"version":"2.1.0","runs":[]}`))
	f.Add([]byte(`{"version":"2.1.0","runs":[{"properties":{"tpscan/partial":true,"tpscan/missing":["x"]}}]}`))
	f.Add([]byte(`not json`))
	f.Add([]byte{0x1f, 0x8b, 0, 0})
	commitRe := regexp.MustCompile(`^([0-9a-fA-F]{40}|[0-9a-fA-F]{64})$`)
	f.Fuzz(func(t *testing.T, raw []byte) {
		file := Parse("fuzz.sarif", raw, ReadOptions{Host: "github.com", MaxGzipBytes: 1 << 20})
		if file == nil {
			t.Fatal("Parse returned nil")
		}
		if file.Problem != "" {
			if file.Encoded() != "" {
				t.Fatal("a refused file has an encoded body")
			}
			return
		}
		if !strings.Contains(file.Repo, "/") || !commitRe.MatchString(file.Commit) || !strings.HasPrefix(file.Ref, "refs/") || file.Partial {
			t.Fatalf("accepted %+v", file)
		}
		back, err := Decode(file.Encoded())
		if err != nil || !bytes.Equal(back, raw) {
			t.Fatalf("the encoded body does not decode to the file: %v", err)
		}
	})
}
