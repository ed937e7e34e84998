package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedpub/feedpub/feed/serve"
)

// fakeSSM speaks the part of SSM's JSON protocol (awsJson1_1) that the
// server uses: AmazonSSM.GetParameter, on loopback.
type fakeSSM struct {
	params map[string]fakeParameter
	// raw, when set, is the body of every answer (a broken service).
	raw string

	mu       sync.Mutex
	requests []getParameterRequest
}

type fakeParameter struct{ typ, value string }

type getParameterRequest struct {
	Name           string
	WithDecryption bool
}

func (f *fakeSSM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if target := r.Header.Get("X-Amz-Target"); target != "AmazonSSM.GetParameter" || r.Method != http.MethodPost {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"UnknownOperationException","message":"not GetParameter: `+target+`"}`)
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `{"__type":"MissingAuthenticationTokenException","message":"unsigned"}`)
		return
	}
	var req getParameterRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"ValidationException","message":"bad body"}`)
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.mu.Unlock()
	if f.raw != "" {
		_, _ = io.WriteString(w, f.raw)
		return
	}
	p, ok := f.params[req.Name]
	if !ok {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"ParameterNotFound","message":""}`)
		return
	}
	value := p.value
	if p.typ == "SecureString" && !req.WithDecryption {
		value = "AQICAHencrypted" // what SSM returns without decryption: the ciphertext
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"Parameter": map[string]any{
		"Name": req.Name, "Type": p.typ, "Value": value, "Version": 1,
		"ARN": "arn:aws:ssm:eu-west-1:123456789012:parameter" + req.Name, "DataType": "text",
	}})
}

// useFakeSSM points the SDK's default configuration at f, with static
// credentials and no shared files, as a Lambda's environment would.
func useFakeSSM(t *testing.T, f *fakeSSM) {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_SSM":        srv.URL,
		"AWS_REGION":                  "eu-west-1",
		"AWS_ACCESS_KEY_ID":           "AKIDEXAMPLE",
		"AWS_SECRET_ACCESS_KEY":       "example-secret-access-key",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_ENDPOINT_URL":            "",
		"FEEDPUB_REBUILD_SECRET":      "",
	} {
		t.Setenv(k, v)
	}
}

const (
	parameterName = "/feedpub/rebuild-secret"
	storedSecret  = "s3cr3t-0123456789abcdef0123456789abcdef"
)

func TestRebuildSecretFromSSM(t *testing.T) {
	f := &fakeSSM{params: map[string]fakeParameter{parameterName: {"SecureString", storedSecret}}}
	useFakeSSM(t, f)
	t.Setenv(secretParameterEnv, parameterName)
	got, err := rebuildSecret(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != storedSecret {
		t.Errorf("secret: got %d bytes that are not the stored value, want the decrypted parameter", len(got))
	}
	want := []getParameterRequest{{Name: parameterName, WithDecryption: true}}
	if len(f.requests) != 1 || f.requests[0] != want[0] {
		t.Errorf("requests to SSM: got %+v, want %+v (one GetParameter, decrypted)", f.requests, want)
	}
}

func TestRebuildSecretFromEnvironment(t *testing.T) {
	f := &fakeSSM{}
	useFakeSSM(t, f)
	t.Setenv(secretEnv, "local-secret")
	got, err := rebuildSecret(context.Background())
	if err != nil || string(got) != "local-secret" {
		t.Errorf("got %q, %v; want FEEDPUB_REBUILD_SECRET's value", got, err)
	}
	if len(f.requests) != 0 {
		t.Errorf("asked SSM %d times, want none when FEEDPUB_REBUILD_SECRET is set", len(f.requests))
	}

	t.Setenv(secretEnv, "")
	if got, err := rebuildSecret(context.Background()); got != nil || err != nil {
		t.Errorf("neither variable set: got %q, %v; want no secret (rebuilds off) and no error", got, err)
	}
}

func TestRebuildSecretErrors(t *testing.T) {
	tests := []struct {
		name   string
		fake   *fakeSSM
		env    map[string]string
		errHas []string
	}{
		{
			name:   "missing parameter",
			fake:   &fakeSSM{params: map[string]fakeParameter{"/other": {"SecureString", storedSecret}}},
			env:    map[string]string{secretParameterEnv: parameterName},
			errHas: []string{parameterName, "does not exist", "SecureString"},
		},
		{
			name:   "plain String parameter",
			fake:   &fakeSSM{params: map[string]fakeParameter{parameterName: {"String", storedSecret}}},
			env:    map[string]string{secretParameterEnv: parameterName},
			errHas: []string{parameterName, "is a String, want a SecureString"},
		},
		{
			name:   "too short",
			fake:   &fakeSSM{params: map[string]fakeParameter{parameterName: {"SecureString", storedSecret[:31]}}},
			env:    map[string]string{secretParameterEnv: parameterName},
			errHas: []string{parameterName, "shorter than 32"},
		},
		{
			name:   "broken answer",
			fake:   &fakeSSM{raw: `{"Parameter":{"Name":"` + parameterName + `","Type":"SecureString","Value":"` + storedSecret + `",`},
			env:    map[string]string{secretParameterEnv: parameterName},
			errHas: []string{parameterName},
		},
		{
			name:   "both variables",
			fake:   &fakeSSM{params: map[string]fakeParameter{parameterName: {"SecureString", storedSecret}}},
			env:    map[string]string{secretParameterEnv: parameterName, secretEnv: storedSecret},
			errHas: []string{"not both"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			useFakeSSM(t, tt.fake)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			got, err := rebuildSecret(context.Background())
			if err == nil {
				t.Fatalf("got a %d-byte secret and no error, want an error", len(got))
			}
			if got != nil {
				t.Errorf("got a %d-byte secret with the error, want none", len(got))
			}
			msg := err.Error()
			t.Log(msg)
			for _, want := range tt.errHas {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q: want it to say %q", msg, want)
				}
			}
			for _, secret := range []string{storedSecret, storedSecret[:31]} {
				if strings.Contains(msg, secret) {
					t.Errorf("error holds the secret: %q", msg)
				}
			}
			if strings.ToLower(msg[:1]) != msg[:1] {
				t.Errorf("error %q: want it lowercase", msg)
			}
		})
	}
}

// TestServeRebuildKeyFromSSM runs the server as main does, with the key in
// a SecureString and the builder a Lambda function, as deployed (SSM and
// Lambda faked on loopback): POST /rebuild signed with the stored value
// invokes the builder, one signed with anything else is refused.
func TestServeRebuildKeyFromSSM(t *testing.T) {
	f := &fakeSSM{params: map[string]fakeParameter{parameterName: {"SecureString", storedSecret}}}
	useFakeSSM(t, f)
	var mu sync.Mutex
	var invoked []string
	fakeLambda := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		invoked = append(invoked, r.Method+" "+r.URL.Path+" "+r.Header.Get("X-Amz-Invocation-Type"))
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer fakeLambda.Close()
	for _, k := range []string{"AWS_LAMBDA_RUNTIME_API", "FEEDPUB_REVALIDATE", "FEEDPUB_MEMORY_MB", "FEEDPUB_FEEDS", "FEEDPUB_ARTICLES", "FEEDPUB_SITE", "FEEDPUB_ADDR"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_ENDPOINT_URL_LAMBDA", fakeLambda.URL)
	t.Setenv("FEEDPUB_BUILD_FUNCTION", "feedpub-build")
	t.Setenv(secretParameterEnv, parameterName)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-feeds", t.TempDir(), "-addr", addr}) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	url := "http://" + addr + "/rebuild"
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			break
		}
		select {
		case err := <-done:
			t.Fatalf("run returned before serving: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("server did not start within 10 s")
		}
	}
	post := func(key, body string) int {
		t.Helper()
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		req.Header.Set(serve.TimestampHeader, ts)
		req.Header.Set(serve.SignatureHeader, "sha256="+hex.EncodeToString(serve.Sign([]byte(key), ts, []byte(body))))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post("not-the-stored-secret-0123456789abcdef", `{"n":1}`); got != http.StatusUnauthorized {
		t.Errorf("signed with another key: status %d, want 401", got)
	}
	mu.Lock()
	if len(invoked) != 0 {
		t.Errorf("refused, but the builder was invoked: %v", invoked)
	}
	mu.Unlock()
	if got := post(storedSecret, `{"n":2}`); got != http.StatusAccepted {
		t.Fatalf("signed with the stored key: status %d, want 202", got)
	}
	mu.Lock()
	if want := []string{"POST /2015-03-31/functions/feedpub-build/invocations Event"}; !slices.Equal(invoked, want) {
		t.Errorf("builder invokes: got %v, want %v", invoked, want)
	}
	mu.Unlock()
	if len(f.requests) != 1 {
		t.Errorf("asked SSM %d times, want once (at start)", len(f.requests))
	}
}
