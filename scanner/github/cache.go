package github

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
)

// Cache is the on-disk store for conditional requests and for workflow
// texts whose tree did not change. GitHub answers a request with a matching
// ETag by 304, which does not count against the rate limit, so an unchanged
// organisation re-scans almost for free.
//
// Responses hold Actions variable values and workflow texts, either of which
// may be a registry token, so every entry is encrypted (AES-GCM) with a key
// derived from the credential that fetched it: the cache reveals nothing to
// someone without that credential, who could not have fetched it anyway.
// ETags are token-specific on GitHub, so one cache per credential loses
// nothing. File names are keyed hashes of the URL, so not even which
// repositories were scanned shows.
type Cache struct {
	dir     string
	aead    cipher.AEAD
	nameKey []byte
}

// maxCachedBody keeps huge responses (a 100 MB blob) out of the cache.
const maxCachedBody = 8 << 20

// OpenCache opens (creating) the cache for one credential under root.
// secret is the token, or the App's private key for installation tokens,
// which rotate hourly.
func OpenCache(root string, secret []byte) (*Cache, error) {
	if len(secret) == 0 {
		return nil, errors.New("cache: no credential to key it with")
	}
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte("tpscan-cache-v1:" + label))
		return m.Sum(nil)
	}
	block, err := aes.NewCipher(derive("encrypt"))
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	dir := filepath.Join(root, hex.EncodeToString(derive("identity"))[:16])
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	return &Cache{dir: dir, aead: aead, nameKey: derive("names")}, nil
}

func (c *Cache) path(key string) string {
	m := hmac.New(sha256.New, c.nameKey)
	m.Write([]byte(key))
	return filepath.Join(c.dir, hex.EncodeToString(m.Sum(nil))[:40])
}

// Get returns the entry stored under key.
func (c *Cache) Get(key string) ([]byte, bool) {
	if c == nil {
		return nil, false
	}
	b, err := os.ReadFile(c.path(key))
	if err != nil || len(b) < c.aead.NonceSize() {
		return nil, false
	}
	nonce, ct := b[:c.aead.NonceSize()], b[c.aead.NonceSize():]
	// The key is bound as additional data: an entry copied to another
	// name does not decrypt.
	pt, err := c.aead.Open(nil, nonce, ct, []byte(key))
	if err != nil {
		return nil, false
	}
	return pt, true
}

// Put stores data under key, atomically.
func (c *Cache) Put(key string, data []byte) error {
	if c == nil {
		return nil
	}
	nonce := make([]byte, c.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	out := c.aead.Seal(nonce, nonce, data, []byte(key))
	tmp, err := os.CreateTemp(c.dir, ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(out); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), c.path(key))
}

// cachedResponse is one stored GET answer.
type cachedResponse struct {
	ETag         string      `json:"etag,omitempty"`
	LastModified string      `json:"last_modified,omitempty"`
	Header       http.Header `json:"header"`
	Body         []byte      `json:"body"`
}

// keptHeaders are the response headers a replayed answer needs.
var keptHeaders = []string{"Content-Type", "Link", "Etag", "Last-Modified"}

// cacheTransport makes every GET conditional when the cache holds an earlier
// answer, and replays that answer when GitHub says 304.
type cacheTransport struct {
	base  http.RoundTripper
	cache *Cache
}

func (t *cacheTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.cache == nil || req.Method != http.MethodGet {
		return t.base.RoundTrip(req)
	}
	key := "GET " + req.URL.String() + "\x00" + req.Header.Get("Accept")
	var prev *cachedResponse
	if b, ok := t.cache.Get(key); ok {
		var cr cachedResponse
		if json.Unmarshal(b, &cr) == nil {
			prev = &cr
		}
	}
	send := req
	if prev != nil {
		send = req.Clone(req.Context())
		if prev.ETag != "" {
			send.Header.Set("If-None-Match", prev.ETag)
		} else if prev.LastModified != "" {
			send.Header.Set("If-Modified-Since", prev.LastModified)
		}
	}
	resp, err := t.base.RoundTrip(send)
	if err != nil {
		return nil, err
	}
	switch {
	case resp.StatusCode == http.StatusNotModified && prev != nil:
		drain(resp)
		h := resp.Header.Clone()
		for k, v := range prev.Header {
			h[k] = v
		}
		h.Set("X-From-Cache", "1")
		h.Set("Content-Length", strconv.Itoa(len(prev.Body)))
		return &http.Response{Status: "200 OK", StatusCode: http.StatusOK, Proto: resp.Proto, ProtoMajor: resp.ProtoMajor,
			ProtoMinor: resp.ProtoMinor, Header: h, Body: io.NopCloser(bytes.NewReader(prev.Body)),
			ContentLength: int64(len(prev.Body)), Request: req}, nil
	case resp.StatusCode == http.StatusOK && (resp.Header.Get("Etag") != "" || resp.Header.Get("Last-Modified") != ""):
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxCachedBody+1))
		if err != nil {
			resp.Body.Close()
			return nil, err
		}
		if len(body) > maxCachedBody {
			resp.Body = struct {
				io.Reader
				io.Closer
			}{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
			return resp, nil
		}
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		cr := cachedResponse{ETag: resp.Header.Get("Etag"), LastModified: resp.Header.Get("Last-Modified"), Header: http.Header{}, Body: body}
		for _, k := range keptHeaders {
			if v := resp.Header.Values(k); len(v) > 0 {
				cr.Header[k] = v
			}
		}
		if b, err := json.Marshal(&cr); err == nil {
			// A cache that cannot be written costs requests, not
			// correctness.
			_ = t.cache.Put(key, b)
		}
	}
	return resp, nil
}
