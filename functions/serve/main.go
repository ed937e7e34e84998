// Command serve answers feed readers from a published site: a local folder
// on loopback, or, as a Lambda Function URL, an S3 prefix.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/lambdaurl"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed/layout"
	"github.com/feedpub/feedpub/feed/serve"
)

func main() {
	if os.Getenv(childEnv) != "" { // this server's in-place build (invoke.go)
		os.Exit(buildChild(os.Args[1:]))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	inLambda := os.Getenv("AWS_LAMBDA_RUNTIME_API") != ""
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	feeds := fs.String("feeds", os.Getenv("FEEDPUB_FEEDS"), "published site: folder or s3://bucket/prefix (env FEEDPUB_FEEDS)")
	addr := fs.String("addr", envOr("FEEDPUB_ADDR", "127.0.0.1:8080"), "address to listen on (env FEEDPUB_ADDR)")
	articles := fs.String("articles", os.Getenv("FEEDPUB_ARTICLES"), "for POST /rebuild: article documents (env FEEDPUB_ARTICLES)")
	site := fs.String("site", os.Getenv("FEEDPUB_SITE"), "for POST /rebuild: site definition (env FEEDPUB_SITE)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *feeds == "" {
		return errors.New("-feeds is required (see -h)")
	}
	if inLambda {
		slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stderr, nil)))
	}
	src, err := store.Open(ctx, *feeds)
	if err != nil {
		return err
	}
	var opts []serve.Option
	secret, err := rebuildSecret(ctx) // FEEDPUB_REBUILD_SECRET or, deployed, an SSM SecureString (secret.go)
	if err != nil && !inLambda {
		return err
	}
	if err != nil {
		// Readers are served all the same (a throttled Parameter Store at a
		// burst of cold starts must not take the feeds down); POST /rebuild
		// is off in this instance. The error names the parameter, never
		// its value.
		slog.ErrorContext(ctx, "rebuilds disabled", "err", err)
	}
	if secret != nil {
		start, wait, err := builder(ctx, *feeds, *articles, *site)
		if err != nil {
			return err
		}
		defer wait()
		claims := serve.StoreClaims{Store: src, Prefix: layout.ClaimsDir}
		opts = append(opts, serve.WithRebuild(serve.NewRebuild(secret, start, claims)))
	}
	if v := os.Getenv("FEEDPUB_REVALIDATE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("FEEDPUB_REVALIDATE: %q is not a positive duration (2s, 500ms)", v)
		}
		opts = append(opts, serve.WithRevalidate(d))
	}
	if v := os.Getenv("FEEDPUB_MEMORY_MB"); v != "" {
		mb, err := strconv.ParseInt(v, 10, 64)
		if err != nil || mb <= 0 {
			return fmt.Errorf("FEEDPUB_MEMORY_MB: %q is not a positive number of MiB", v)
		}
		opts = append(opts, serve.WithMemory(mb<<20))
	}
	h := serve.New(src, opts...)
	if inLambda {
		lambdaurl.Start(recovered(h))
		return nil
	}
	return listen(ctx, h, *addr, *feeds)
}

// builder returns what POST /rebuild starts: an asynchronous invoke of the
// build function when FEEDPUB_BUILD_FUNCTION names one, otherwise a build in
// place from the articles and site given, in a child process (see inPlace).
// wait stops the builds (a build running is asked to stop) and returns
// when they have.
func builder(ctx context.Context, feeds, articles, site string) (start func(context.Context) error, wait func(), err error) {
	if fn := os.Getenv("FEEDPUB_BUILD_FUNCTION"); fn != "" {
		start, err := invoker(ctx, fn)
		return start, func() {}, err
	}
	if articles == "" || site == "" {
		return nil, nil, errors.New("a rebuild key is set (FEEDPUB_REBUILD_SECRET or FEEDPUB_REBUILD_SECRET_PARAMETER): give -articles and -site (or FEEDPUB_BUILD_FUNCTION) for rebuilds")
	}
	p, err := newInPlace(feeds, articles, site)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	go p.loop(ctx)
	return p.start, func() { cancel(); p.wait() }, nil
}

func listen(ctx context.Context, h http.Handler, addr, feeds string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	// Slow or idle clients cannot hold connections open for long; a feed
	// is written well within WriteTimeout even to a slow reader. A large
	// answer leaves corked, its head and body in full segments
	// (serve.ConnContext).
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10, ConnContext: serve.ConnContext}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	slog.Info("serving", "feeds", feeds, "url", "http://"+ln.Addr().String()+"/")
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// recovered answers 500 to a request whose handler panics, and logs the
// panic: lambdaurl runs the handler in a goroutine of its own that does not
// recover, so a panic would end the function's process (net/http's server
// recovers a handler's panic itself).
func recovered(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rw := &headerWatch{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			slog.ErrorContext(r.Context(), "serve: handler panicked", "method", r.Method, "path", r.URL.Path,
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if !rw.wrote {
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		h.ServeHTTP(rw, r)
	})
}

// headerWatch records whether the answer's head was written.
type headerWatch struct {
	http.ResponseWriter
	wrote bool
}

func (w *headerWatch) WriteHeader(code int) {
	w.wrote = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *headerWatch) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the writer's own methods.
func (w *headerWatch) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
