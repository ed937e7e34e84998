package page_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed"
	"github.com/feedpub/feedpub/feed/layout"
	fpage "github.com/feedpub/feedpub/feed/page"
	"github.com/feedpub/feedpub/feed/publish"
	"github.com/feedpub/feedpub/feed/serve"
)

const chromium = "/usr/bin/chromium"

// buildTime is when the example site is built: after every example article
// but the embargoed one.
var buildTime = time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC)

// exampleSite publishes the example site, served at base, into a fresh
// folder and returns the folder and the report.
func exampleSite(t *testing.T, base string) (string, *publish.Report) {
	t.Helper()
	data, err := os.ReadFile("../../examples/site.yaml")
	if err != nil {
		t.Fatal(err)
	}
	site, err := feed.ParseSite(data)
	if err != nil {
		t.Fatal(err)
	}
	site.BaseURL = base
	dir := t.TempDir()
	b := &publish.Build{Site: site, Articles: store.NewFolder("../../examples/articles"), Out: store.NewFolder(dir), Now: buildTime}
	rep, err := b.Run(context.Background())
	if err != nil {
		t.Fatalf("publish the example site: %v", err)
	}
	return dir, rep
}

// console collects what pages write to the console: console.error calls,
// browser log errors, uncaught exceptions, and the policy violations a
// listener added to every document reports as console errors.
type console struct {
	mu       sync.Mutex
	problems []string
}

func (c *console) add(s string) {
	c.mu.Lock()
	c.problems = append(c.problems, s)
	c.mu.Unlock()
}

// take returns and forgets the problems seen so far.
func (c *console) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.problems
	c.problems = nil
	return p
}

// reportViolations is evaluated in every document before its own scripts
// (by DevTools, which the page's policy does not govern): every violation
// of the policy becomes a console error.
const reportViolations = `document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + e.blockedURI);
});`

// TestBrowser loads the index page and every preview page of the example
// site in headless Chromium, served by the server on loopback with their
// Content-Security-Policy: no console error, exception or policy violation;
// every link to the site answers 200; the filter box filters; each page's
// full screenshot is an image, not a blank one.
func TestBrowser(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		if testing.Short() {
			t.Skip("no Chromium at " + chromium)
		}
		t.Fatalf("no Chromium at %s: install Debian's chromium and fonts-noto-cjk (apt-get install chromium fonts-noto-cjk, or make tools)", chromium)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	dir, rep := exampleSite(t, base)
	var h http.Handler = serve.New(store.NewFolder(dir))
	probe := httptest.NewRecorder()
	h.ServeHTTP(probe, httptest.NewRequest(http.MethodGet, "/", nil))
	if probe.Header().Get("Content-Security-Policy") != fpage.CSP {
		// TEMPORARY: until feed/serve sends the manifest's policy, the
		// test sends it for the html pages itself.
		t.Logf("the server does not send the pages' Content-Security-Policy (got %q): the test adds it", probe.Header().Get("Content-Security-Policy"))
		served := h
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/" || strings.HasSuffix(r.URL.Path, ".html") {
				w.Header().Set("Content-Security-Policy", fpage.CSP)
			}
			served.ServeHTTP(w, r)
		})
	}
	mux := http.NewServeMux()
	mux.Handle("/", h)
	probe = httptest.NewRecorder()
	h.ServeHTTP(probe, httptest.NewRequest(http.MethodGet, "/"+layout.StyleSheet, nil))
	if probe.Code != http.StatusOK {
		// TEMPORARY: until feed/serve serves the assets, the test serves
		// the published files itself.
		t.Logf("the server does not serve /%s (%d): the test does", layout.StyleSheet, probe.Code)
		mux.HandleFunc("/"+layout.AssetsDir, func(w http.ResponseWriter, r *http.Request) {
			key := strings.TrimPrefix(r.URL.Path, "/")
			body, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(key)))
			if err != nil || (key != layout.StyleSheet && key != layout.Script) {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", layout.ContentType(key))
			w.Write(body)
		})
	}
	// A page that breaks the policy: proves that violations are seen.
	mux.HandleFunc("/test/violation.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", fpage.CSP)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><title>x</title><p style="color:red">x</p><script>document.title="ran"</script>`)
	})
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox,
		// Every request stays on loopback: names do not resolve, no
		// proxy, none of the browser's own traffic.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.Flag("no-proxy-server", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("disable-client-side-phishing-detection", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("dns-prefetch-disable", true),
		chromedp.Flag("disable-features", "Translate,BlinkGenPropertyTrees,OptimizationHints,MediaRouter,DialMediaRouteProvider,AutofillServerCommunication,CertificateTransparencyComponentUpdater"),
		chromedp.Flag("lang", "zh-CN"),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()

	seen := &console{}
	messages := chromedp.Console(bctx) // starts the browser
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type != chromedp.ConsoleError && !m.IsException() {
				continue
			}
			// Article images live on other hosts, which do not resolve here:
			// their failure to load is expected, and no fault of the page.
			if m.Source == "network" && !loopback(m.URL) {
				continue
			}
			seen.add(m.String() + " (" + m.URL + ")")
		}
	}()
	// A phone: 390 CSS pixels wide, as the viewport meta asks.
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)); err != nil {
		t.Fatalf("emulate a phone: %v", err)
	}
	if _, err := chromedp.Call(bctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: reportViolations}); err != nil {
		t.Fatalf("add the violation listener: %v", err)
	}

	shots := os.Getenv("FEEDPUB_TEST_OUTPUT")
	if shots == "" {
		shots = t.TempDir()
	}
	shots = filepath.Join(shots, "pages")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}

	// The detector sees a violation, or its silence below proves nothing.
	load(t, bctx, base+"/test/violation.html")
	if got := settle(seen); !strings.Contains(strings.Join(got, "\n"), "CSP violation: style-src") || !strings.Contains(strings.Join(got, "\n"), "CSP violation: script-src") {
		t.Fatalf("a page that breaks the policy: got console %q, want its style and script violations", got)
	}
	if title, _ := chromedp.Run(bctx, chromedp.Title()); title == "ran" {
		t.Fatal("an inline script ran despite the policy")
	}

	pages := []string{layout.Index}
	for _, f := range rep.Feeds {
		if !f.Retired {
			pages = append(pages, layout.PreviewKey(f.Name))
		}
	}
	if len(pages) < 10 {
		t.Fatalf("only %d pages to load", len(pages))
	}
	checked := map[string]bool{}
	for _, key := range pages {
		u := base + "/" + strings.TrimPrefix(layout.PreviewURL("", strings.TrimSuffix(strings.TrimPrefix(key, layout.FeedsDir), ".html")), "/")
		if key == layout.Index {
			u = base + "/"
		}
		load(t, bctx, u)
		if p := settle(seen); len(p) > 0 {
			t.Errorf("%s: console: %q", key, p)
		}
		links, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](
			`Array.from(document.querySelectorAll("a[href], link[href], script[src], img[src]"), e => e.href || e.src)`))
		if err != nil {
			t.Fatalf("%s: links: %v", key, err)
		}
		for _, l := range links {
			if !loopback(l) || checked[l] {
				continue
			}
			checked[l] = true
			resp, err := http.Get(l)
			if err != nil {
				t.Errorf("%s links to %s: %v", key, l, err)
				continue
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("%s links to %s: %s", key, l, resp.Status)
			}
		}
		// A phone shows the page without scrolling sideways.
		if wide, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)); err != nil || wide {
			t.Errorf("%s: wider than the phone's screen (%v)", key, err)
		}
		shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("%s: screenshot: %v", key, err)
		}
		file := filepath.Join(shots, strings.ReplaceAll(strings.TrimSuffix(key, ".html"), "/", "_")+".png")
		if err := os.WriteFile(file, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := notBlank(shot); err != nil {
			t.Errorf("%s: screenshot %s: %v", key, file, err)
		}
	}
	t.Logf("%d pages loaded, %d links checked, screenshots in %s", len(pages), len(checked), shots)

	// The filter box: shown by the script, and typing hides entries.
	load(t, bctx, base+"/")
	count := `Array.from(document.querySelectorAll("main li")).filter(li => li.offsetParent !== null).length`
	before, err := chromedp.Run(bctx, chromedp.Evaluate[int](count))
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancelWait := context.WithTimeout(bctx, 5*time.Second)
	defer cancelWait()
	if err := chromedp.Do(wctx, chromedp.WaitVisible(chromedp.ID("q")), chromedp.SendKeys(chromedp.ID("q"), "tech")); err != nil {
		t.Fatalf("type into the filter box: %v", err)
	}
	var after int
	for range 50 {
		if after, err = chromedp.Run(bctx, chromedp.Evaluate[int](count)); err != nil || after < before {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if after == 0 || after >= before {
		t.Errorf("filter \"tech\": %d entries shown of %d, want fewer but some", after, before)
	}
	if p := settle(seen); len(p) > 0 {
		t.Errorf("filtering: console: %q", p)
	}
}

// load navigates to u and fails the test when it does not load.
func load(t *testing.T, ctx context.Context, u string) {
	t.Helper()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(u))
	if err != nil {
		t.Fatalf("load %s: %v", u, err)
	}
	if resp.Status != http.StatusOK {
		t.Fatalf("load %s: %d", u, resp.Status)
	}
}

// settle waits for the messages of a page that just loaded to arrive, and
// returns them.
func settle(c *console) []string {
	time.Sleep(150 * time.Millisecond)
	return c.take()
}

func loopback(u string) bool {
	p, err := url.Parse(u)
	return err == nil && p.Hostname() == "127.0.0.1"
}

// notBlank reports an error unless png is a PNG image of some size with
// more than a few distinct colours over a sample of its pixels.
func notBlank(data []byte) error {
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("not a PNG: %w", err)
	}
	b := img.Bounds()
	if b.Dx() < 300 || b.Dy() < 300 {
		return fmt.Errorf("%v: too small", b)
	}
	colours := map[[4]uint32]bool{}
	sample(img, func(r, g, bl, a uint32) { colours[[4]uint32{r >> 8, g >> 8, bl >> 8, a >> 8}] = true })
	if len(colours) < 4 {
		return fmt.Errorf("%d distinct colours in the sample: blank", len(colours))
	}
	return nil
}

func sample(img image.Image, f func(r, g, b, a uint32)) {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			f(img.At(x, y).RGBA())
		}
	}
}
