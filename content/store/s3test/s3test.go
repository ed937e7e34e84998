// Package s3test gives tests a real S3-compatible server on loopback:
// versitygw with its posix backend, started for the test (or the one named by
// FEEDPUB_TEST_S3_ENDPOINT, which `make test` starts once for every package).
package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Server is a running S3-compatible server.
type Server struct {
	Endpoint  string // http://127.0.0.1:port
	AccessKey string
	SecretKey string
	Region    string
}

const (
	testAccess = "feedpubtest"
	testSecret = "feedpubtestsecret"
)

// Start returns a server for the test: the shared one when
// FEEDPUB_TEST_S3_ENDPOINT is set, otherwise a versitygw of its own, stopped
// when the test ends. A missing versitygw fails the test with how to get it.
func Start(t testing.TB) *Server {
	t.Helper()
	if ep := os.Getenv("FEEDPUB_TEST_S3_ENDPOINT"); ep != "" {
		return &Server{Endpoint: ep, AccessKey: envOr("FEEDPUB_TEST_S3_ACCESS", testAccess),
			SecretKey: envOr("FEEDPUB_TEST_S3_SECRET", testSecret), Region: "us-east-1"}
	}
	return StartOwn(t)
}

// StartOwn starts a versitygw of the test's own, whatever the environment
// says, with args added to its command line (e.g. "--event-webhook-url",
// url), and stops it when the test ends.
func StartOwn(t testing.TB, args ...string) *Server {
	t.Helper()
	bin := Binary(t, "versitygw")
	port := FreePort(t)
	dir := t.TempDir()
	args = append([]string{"--access", testAccess, "--secret", testSecret, "--port", "127.0.0.1:" + port, "--quiet"}, args...)
	cmd := exec.Command(bin, append(args, "posix", dir)...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("s3test: start versitygw: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	s := &Server{Endpoint: "http://127.0.0.1:" + port, AccessKey: testAccess, SecretKey: testSecret, Region: "us-east-1"}
	WaitHTTP(t, s.Endpoint, 10*time.Second)
	return s
}

// Client returns an SDK client for the server, path-style.
func (s *Server) Client() *s3.Client {
	return s3.New(s3.Options{
		Region:       s.Region,
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
	})
}

// Env is the environment a process needs to reach the server through the
// SDK's standard configuration.
func (s *Server) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL_S3=" + s.Endpoint,
		"AWS_ACCESS_KEY_ID=" + s.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + s.SecretKey,
		"AWS_REGION=" + s.Region,
		"FEEDPUB_S3_PATH_STYLE=1",
	}
}

// Bucket creates a new, empty bucket with a unique name.
func (s *Server) Bucket(t testing.TB) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "test-" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := s.Client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("s3test: create bucket %s: %v", name, err)
	}
	return name
}

// Binary finds a tool the Makefile installs: on PATH, or in the module's
// .tools/bin.
func Binary(t testing.TB, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	dir, _ := os.Getwd()
	for ; dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, ".tools", "bin", name)
			if _, err := os.Stat(p); err == nil {
				return p
			}
			break
		}
	}
	t.Fatalf("%s not found: run `make tools` (make test installs it into .tools/bin)", name)
	return ""
}

// FreePort returns a free TCP port on 127.0.0.1.
func FreePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer ln.Close()
	return fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
}

// WaitHTTP waits until url answers HTTP at all.
func WaitHTTP(t testing.TB, url string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	client := &http.Client{Timeout: time.Second}
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer within %s: %v", url, limit, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func envOr(name, fallback string) string {
	if v := strings.TrimSpace(os.Getenv(name)); v != "" {
		return v
	}
	return fallback
}
