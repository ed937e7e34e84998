package publish

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/feedpub/feedpub/feed/layout"
)

// HubReport is what one WebSub hub was told after a build.
type HubReport struct {
	Hub    string   `json:"hub"`
	Topics int      `json:"topics"`           // feeds announced
	Failed []string `json:"failed,omitempty"` // topics the hub did not take, after retries
	Error  string   `json:"error,omitempty"`  // the last failure, as the hub or the network said it
}

// Announcement timing. A hub fetches a topic as soon as it is pinged, so
// the ping waits until what readers are served is the new version: the
// server revalidates the site at most every 2 s (serve's default), and
// DefaultHubDelay covers that with a margin. Behind a CDN that caches the
// feeds, HubDelay must also cover its TTL for the feeds (see the README).
const (
	DefaultHubDelay = 3 * time.Second
	hubTimeout      = 10 * time.Second // all pings of a build, retries included
	hubParallel     = 8
)

var hubBackoff = []time.Duration{200 * time.Millisecond, 800 * time.Millisecond}

// announce tells each of the site's hubs about every feed the build
// changed: a form-encoded POST with hub.mode=publish and the feed's URL as
// both hub.topic and hub.url (hubs differ in which they read), retried,
// in parallel, bounded in time. A hub that fails is a report entry, never
// a failed build.
func (b *Build) announce(ctx context.Context, written []string) []HubReport {
	if len(b.Site.Hubs) == 0 {
		return nil
	}
	var topics []string
	for _, key := range written {
		if name, ext, ok := layout.FeedName(key); ok {
			topics = append(topics, layout.FeedURL(b.Site.BaseURL, name, ext))
		}
	}
	if len(topics) == 0 {
		return nil
	}
	sort.Strings(topics)
	delay := b.HubDelay
	if delay == 0 {
		delay = DefaultHubDelay
	}
	select {
	case <-time.After(max(delay, 0)):
	case <-ctx.Done():
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), hubTimeout)
	defer cancel()
	client := b.HubClient
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	reports := make([]HubReport, len(b.Site.Hubs))
	var mu sync.Mutex
	work := make(chan [2]int)
	var wg sync.WaitGroup
	for range hubParallel {
		wg.Go(func() {
			for w := range work {
				hub, topic := b.Site.Hubs[w[0]], topics[w[1]]
				if err := ping(ctx, client, hub, topic); err != nil {
					mu.Lock()
					reports[w[0]].Failed = append(reports[w[0]].Failed, topic)
					reports[w[0]].Error = err.Error()
					mu.Unlock()
				}
			}
		})
	}
	for h := range b.Site.Hubs {
		reports[h] = HubReport{Hub: b.Site.Hubs[h], Topics: len(topics)}
		for t := range topics {
			work <- [2]int{h, t}
		}
	}
	close(work)
	wg.Wait()
	for i := range reports {
		sort.Strings(reports[i].Failed)
	}
	return reports
}

// ping announces one topic to one hub, trying again after a failure that
// may pass (the network, a 5xx, a 429).
func ping(ctx context.Context, client *http.Client, hub, topic string) error {
	form := url.Values{"hub.mode": {"publish"}, "hub.topic": {topic}, "hub.url": {topic}}.Encode()
	for attempt := 0; ; attempt++ {
		err := pingOnce(ctx, client, hub, form)
		var status *hubStatus
		final := err == nil || attempt == len(hubBackoff) || ctx.Err() != nil ||
			errors.As(err, &status) && status.code < 500 && status.code != http.StatusTooManyRequests
		if final {
			return err
		}
		select {
		case <-time.After(hubBackoff[attempt]):
		case <-ctx.Done():
			return err
		}
	}
}

type hubStatus struct{ code int }

func (e *hubStatus) Error() string { return fmt.Sprintf("hub answered %d", e.code) }

func pingOnce(ctx context.Context, client *http.Client, hub, form string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hub, strings.NewReader(form))
	if err != nil {
		return fmt.Errorf("publish: ping %s: %w", hub, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("publish: ping %s: %w", hub, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 { // WebSub hubs answer 202 or 204; any 2xx is taken
		return fmt.Errorf("publish: ping %s: %w", hub, &hubStatus{resp.StatusCode})
	}
	return nil
}
