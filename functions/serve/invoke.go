package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/feedpub/feedpub/feed/publish"
)

// invoker starts the build function asynchronously (InvocationType Event):
// the rebuild request returns as soon as Lambda has queued the build.
func invoker(ctx context.Context, function string) (func(context.Context) error, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("serve: aws config: %w", err)
	}
	client := lambda.NewFromConfig(cfg)
	return func(ctx context.Context) error {
		_, err := client.Invoke(ctx, &lambda.InvokeInput{
			FunctionName:   aws.String(function),
			InvocationType: lambdatypes.InvocationTypeEvent,
			Payload:        []byte(`{"rebuild":"all"}`),
		})
		if err != nil {
			return fmt.Errorf("serve: invoke %s: %w", function, err)
		}
		return nil
	}, nil
}

// childEnv marks the server's own executable, started again, as the child
// that runs one in-place build (see inPlace).
const childEnv = "FEEDPUB_SERVE_BUILD_CHILD"

// childSecrets are the variables an in-place build child does not get: a
// build never needs the rebuild key.
var childSecrets = []string{"FEEDPUB_REBUILD_SECRET", "FEEDPUB_REBUILD_SECRET_PARAMETER"}

// childGrace is how long a server that is stopping lets an in-place build
// finish after asking it to stop, before it kills it.
const childGrace = 10 * time.Second

// inPlace runs the builds POST /rebuild asks for when the server builds in
// place (serve -articles -site): one at a time, each in a child process
// (this executable again, with childEnv set), so that nothing a build does
// (a panic in one of its goroutines, running out of memory) can stop the
// server. A request accepted while a build runs asks for one more build
// after it, which sees every change made before the request; requests
// that arrive meanwhile share that one. Accepted requests answer at once:
// the build's outcome goes to the server's log.
type inPlace struct {
	exe  string
	args []string
	env  []string
	log  *slog.Logger
	kick chan struct{} // holds one token while a build is wanted
	done chan struct{} // closed when the loop has ended
}

// newInPlace returns a builder of feeds from articles and site, not yet
// running (see loop).
func newInPlace(feeds, articles, site string) (*inPlace, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("serve: in-place builds: %w", err)
	}
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(childSecrets, name) && name != childEnv {
			env = append(env, kv)
		}
	}
	return &inPlace{
		exe:  exe,
		args: []string{"-articles", articles, "-site", site, "-out", feeds},
		env:  append(env, childEnv+"=1"),
		log:  slog.Default(),
		kick: make(chan struct{}, 1),
		done: make(chan struct{}),
	}, nil
}

// start asks for a build; it never waits for one.
func (p *inPlace) start(context.Context) error {
	select {
	case p.kick <- struct{}{}:
	default: // one is wanted already, and will see this request's changes
	}
	return nil
}

// loop runs the builds asked for until ctx ends; a build running then is
// asked to stop (and killed after childGrace).
func (p *inPlace) loop(ctx context.Context) {
	defer close(p.done)
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.kick:
		}
		p.build(ctx)
	}
}

// wait returns when the loop has ended, its last build with it.
func (p *inPlace) wait() { <-p.done }

// How much of a child's stdout (its summary) and stderr (its error, a
// panic's trace) is kept.
const (
	childStdout = 1 << 20
	childStderr = 8 << 10
)

// build runs one child build and logs its outcome.
func (p *inPlace) build(ctx context.Context) {
	began := time.Now()
	cmd := exec.CommandContext(ctx, p.exe, p.args...)
	cmd.Env = p.env
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = childGrace
	stdout, stderr := &head{max: childStdout}, &head{max: childStderr}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	p.log.InfoContext(ctx, "rebuild: build started")
	if err := cmd.Run(); err != nil {
		p.log.ErrorContext(ctx, "rebuild: build failed", "err", fmt.Errorf("in-place build: %w", err),
			"output", strings.TrimSpace(stderr.String()), "duration", time.Since(began).Round(time.Millisecond))
		return
	}
	var s summary
	if err := json.Unmarshal(stdout.Bytes(), &s); err != nil {
		p.log.ErrorContext(ctx, "rebuild: build failed", "err", fmt.Errorf("in-place build: its summary: %w", err))
		return
	}
	p.log.InfoContext(ctx, "rebuild: built", "mode", s.Mode, "fetched", s.Articles.Fetched,
		"published", s.Articles.Published, "rejected", s.Articles.Rejected, "written", s.Written,
		"unchanged", s.Unchanged, "duration", time.Since(began).Round(time.Millisecond))
	for _, r := range s.Rejected {
		p.log.WarnContext(ctx, "rebuild: rejected article", "key", r.Key, "problems", r.Problems)
	}
}

// summary is what a child build tells the server of its report; the whole
// report is build-report.json.
type summary struct {
	Mode      string              `json:"mode"`
	Articles  publish.Counts      `json:"articles"`
	Rejected  []publish.Rejection `json:"rejected"`
	Written   int                 `json:"written"`
	Unchanged int                 `json:"unchanged"`
}

// maxLoggedRejections is how many rejected documents a child names to the
// server's log; the report lists them all.
const maxLoggedRejections = 100

// buildChild is the in-place build child: one build of -articles and -site
// into -out, its summary (JSON) on stdout. It ignores interrupts, which a
// terminal sends the server's whole process group: the server decides
// when a build stops, with SIGTERM, which ends the build cleanly.
func buildChild(args []string) int {
	signal.Ignore(os.Interrupt)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	fs := flag.NewFlagSet("serve (in-place build)", flag.ContinueOnError)
	articles := fs.String("articles", "", "article documents")
	site := fs.String("site", "", "site definition")
	out := fs.String("out", "", "published site")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	b, err := publish.Open(ctx, *articles, *site, *out, os.Getenv("FEEDPUB_BASE_URL"))
	if err == nil {
		var rep *publish.Report
		if rep, err = b.Run(ctx); err == nil {
			s := summary{Mode: rep.Mode, Articles: rep.Articles, Rejected: rep.Rejected,
				Written: len(rep.Written), Unchanged: len(rep.Unchanged)}
			if len(s.Rejected) > maxLoggedRejections {
				s.Rejected = s.Rejected[:maxLoggedRejections]
			}
			err = json.NewEncoder(os.Stdout).Encode(s)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "serve: in-place build:", err)
		return 1
	}
	return 0
}

// head keeps the first max bytes written to it (a panic's message and the
// stack of the goroutine that panicked come first) and counts the rest.
type head struct {
	mu      sync.Mutex
	max     int
	b       []byte
	dropped int
}

func (h *head) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	keep := min(len(p), h.max-len(h.b))
	h.b = append(h.b, p[:keep]...)
	h.dropped += len(p) - keep
	return len(p), nil
}

func (h *head) Bytes() []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.b)
}

// String is what was kept, and how much was not.
func (h *head) String() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.dropped > 0 {
		return fmt.Sprintf("%s… (%d bytes more)", h.b, h.dropped)
	}
	return string(h.b)
}
