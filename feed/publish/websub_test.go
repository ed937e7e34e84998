package publish_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed/layout"
	"github.com/feedpub/feedpub/feed/publish"
	"github.com/feedpub/feedpub/feed/serve"
)

// hub is a loopback WebSub hub: it records each publish ping and, as real
// hubs do, fetches the topic at once.
type hub struct {
	srv     *httptest.Server
	mu      sync.Mutex
	pings   []url.Values
	fetched map[string][]byte // topic -> what the hub got when pinged
	fail    map[string]bool   // topics answered 503 once already
	flaky   bool
}

func newHub(t *testing.T, flaky bool) *hub {
	h := &hub{fetched: map[string][]byte{}, fail: map[string]bool{}, flaky: flaky}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			http.Error(w, "want a form POST", http.StatusBadRequest)
			return
		}
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		topic := r.PostForm.Get("hub.topic")
		h.mu.Lock()
		if h.flaky && !h.fail[topic] {
			h.fail[topic] = true
			h.mu.Unlock()
			http.Error(w, "slow down", http.StatusServiceUnavailable)
			return
		}
		h.pings = append(h.pings, r.PostForm)
		h.mu.Unlock()
		resp, err := http.Get(topic)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			h.mu.Lock()
			h.fetched[topic] = body
			h.mu.Unlock()
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hub) topics() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, p := range h.pings {
		out = append(out, p.Get("hub.topic"))
	}
	slices.Sort(out)
	return out
}

// With hubs: in the site file, feeds name them and themselves (in the
// feed and in Link headers), and every build announces the feeds it
// changed to every hub, after readers are served the new version; a hub
// that fails is reported and retried, a hub that is down never fails the
// build.
func TestAnnounceToHubs(t *testing.T) {
	site := loadSite(t)
	articles, out := t.TempDir(), t.TempDir()
	writeDocs(t, articles, article("a1", "2024-01-01T10:00:00Z").with("categories", []string{"News"}))
	server := httptest.NewServer(serve.New(store.NewFolder(out), serve.WithRevalidate(100*time.Millisecond)))
	defer server.Close()
	site.BaseURL = server.URL
	good, flaky := newHub(t, false), newHub(t, true)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String() + "/hub"
	ln.Close()
	site.Hubs = []string{good.srv.URL + "/hub", flaky.srv.URL + "/hub", down}

	run := func(now time.Time) *publish.Report {
		t.Helper()
		b := &publish.Build{Site: site, Articles: store.NewFolder(articles), Out: store.NewFolder(out), Now: now,
			HubDelay: 300 * time.Millisecond}
		rep, err := b.Run(context.Background())
		if err != nil {
			t.Fatalf("Run: %v (a hub that is down must not fail the build)", err)
		}
		return rep
	}
	rep := run(day)
	var topics []string
	for _, k := range rep.Written {
		if _, _, ok := layout.FeedName(k); ok { // feeds, not their preview pages
			topics = append(topics, server.URL+"/"+k)
		}
	}
	slices.Sort(topics)
	if len(topics) < 6 {
		t.Fatalf("the build wrote %v", rep.Written)
	}
	if got := good.topics(); !slices.Equal(got, topics) {
		t.Errorf("good hub was told %v, want every feed written: %v", got, topics)
	}
	if got := flaky.topics(); !slices.Equal(got, topics) {
		t.Errorf("flaky hub (503 once per topic) got %v after retries, want %v", got, topics)
	}
	for _, p := range good.pings {
		if p.Get("hub.mode") != "publish" || p.Get("hub.url") != p.Get("hub.topic") {
			t.Errorf("ping %v: want hub.mode=publish and hub.url = hub.topic", p)
		}
	}
	if len(rep.Hubs) != 3 {
		t.Fatalf("report hubs %+v, want three", rep.Hubs)
	}
	if h := rep.Hubs[0]; len(h.Failed) != 0 || h.Topics != len(topics) {
		t.Errorf("good hub report %+v", h)
	}
	if h := rep.Hubs[1]; len(h.Failed) != 0 {
		t.Errorf("flaky hub report %+v, want none failed after retries", h)
	}
	if h := rep.Hubs[2]; !slices.Equal(h.Failed, topics) || h.Error == "" {
		t.Errorf("down hub report %+v, want every topic failed, with the reason", h)
	}

	// The feeds name the hubs and themselves.
	for _, c := range []struct{ key, hubLink string }{
		{"feeds/index.rss", `<atom:link rel="hub" href="` + site.Hubs[0] + `"/>`},
		{"feeds/index.atom", `<link rel="hub" href="` + site.Hubs[0] + `"/>`},
	} {
		if body := outputs(t, out)[c.key]; !bytes.Contains(body, []byte(c.hubLink)) {
			t.Errorf("%s does not hold %s", c.key, c.hubLink)
		}
	}
	var jf struct {
		Hubs []struct{ Type, URL string } `json:"hubs"`
	}
	if err := json.Unmarshal(outputs(t, out)["feeds/index.json"], &jf); err != nil || len(jf.Hubs) != 3 || jf.Hubs[0].Type != "WebSub" || jf.Hubs[0].URL != site.Hubs[0] {
		t.Errorf("feeds/index.json hubs %+v (%v)", jf.Hubs, err)
	}
	resp, err := http.Get(server.URL + "/feeds/index.atom")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	link := resp.Header.Get("Link")
	if !strings.Contains(link, "<"+site.Hubs[0]+`>; rel="hub"`) || !strings.Contains(link, "<"+server.URL+`/feeds/index.atom>; rel="self"`) {
		t.Errorf("Link header %q, want the hubs and the feed itself", link)
	}

	// An edit: only the feeds it changed are announced, and the hub,
	// fetching as it is pinged, gets the new version.
	good.mu.Lock()
	good.pings = nil
	good.mu.Unlock()
	writeDocs(t, articles, article("a1", "2024-01-01T10:00:00Z").with("categories", []string{"News"}).with("title", "Edited title"))
	rep = run(day.Add(time.Hour))
	var changed []string
	for _, k := range rep.Written {
		if _, _, ok := layout.FeedName(k); ok {
			changed = append(changed, server.URL+"/"+k)
		}
	}
	slices.Sort(changed)
	if got := good.topics(); !slices.Equal(got, changed) || len(changed) == 0 {
		t.Errorf("after the edit the hub was told %v, want the feeds written: %v", got, changed)
	}
	for _, topic := range changed {
		good.mu.Lock()
		body := good.fetched[topic]
		good.mu.Unlock()
		if !bytes.Contains(body, []byte("Edited title")) {
			t.Errorf("the hub fetched %s when pinged and got the old version", topic)
		}
	}
}

// A new schedule changes what caches are told, and with it every output's
// headers: the next build that renders a feed writes it again, with the
// new Cache-Control in the manifest, though its bytes are the same.
func TestNewScheduleRewritesHeaders(t *testing.T) {
	site := loadSite(t)
	articles, out := t.TempDir(), t.TempDir()
	writeDocs(t, articles, article("a1", "2024-01-01T10:00:00Z"))
	run := func(every time.Duration, now time.Time) *publish.Report {
		t.Helper()
		b := &publish.Build{Site: site, Articles: store.NewFolder(articles), Out: store.NewFolder(out), Now: now, Schedule: every}
		rep, err := b.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	run(5*time.Minute, day)
	if rep := run(5*time.Minute, day); len(rep.Written) != 0 {
		t.Fatalf("same schedule: wrote %v", rep.Written)
	}
	writeDocs(t, articles, article("a2", "2024-01-02T10:00:00Z"))
	rep := run(15*time.Minute, day.Add(time.Hour))
	m := readManifest(t, out)
	for _, k := range rep.Written {
		if got := m.Objects[k].CacheControl; !strings.Contains(got, "stale-while-revalidate=900") {
			t.Errorf("%s: Cache-Control %q after the schedule became 15 minutes", k, got)
		}
	}
	if got := m.Objects["feeds/index.rss"].CacheControl; !strings.Contains(got, "stale-while-revalidate=900") {
		t.Errorf("feeds/index.rss: %q", got)
	}
}
