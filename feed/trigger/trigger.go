// Package trigger decides what an incoming Lambda event asks the builder to
// do: an S3 notification for article documents (direct, or a batch of them
// wrapped in SQS messages) builds those documents alone; an EventBridge
// schedule reconciles the site with a listing (lifting embargoes, repairing
// what events missed); a direct {"rebuild":"all"} invoke builds everything
// again; anything else is refused with an error.
package trigger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed/publish"
)

// ErrUnknownEvent is returned for an event of no kind the builder handles.
var ErrUnknownEvent = errors.New("unknown event")

// Job is what one build is asked to do.
type Job struct {
	Trigger string // "s3", "sqs", "schedule", "rebuild"
	// Keys are the article documents that changed, relative to the
	// articles location (ArticlePrefix taken off); nil means every
	// document: the build lists them.
	Keys []string
	Full bool // read every document again
}

// BuildFunc runs one build.
type BuildFunc func(ctx context.Context, job Job) (*publish.Report, error)

// Handler handles the build function's events.
type Handler struct {
	Build BuildFunc
	// ArticlePrefix is the key prefix of article documents in S3 events, e.g.
	// "articles/"; other keys trigger nothing.
	ArticlePrefix string
	Log           *slog.Logger
	// Work renders one batch of feeds a build fanned out (an SQS message
	// of the fan-out queue); nil when this function is no worker.
	Work func(ctx context.Context, msg []byte) error
}

// Result is what an invocation returns: the summary of the build it ran
// (its counts and first rejections; the whole report is in the output
// store), or none when the event asked for nothing.
type Result struct {
	Trigger string           `json:"trigger"`
	Built   bool             `json:"built"`
	Report  *publish.Summary `json:"report,omitempty"`
}

// envelope has the fields that tell the event kinds apart.
type envelope struct {
	Rebuild    string            `json:"rebuild"`
	Source     string            `json:"source"`
	DetailType string            `json:"detail-type"`
	Records    []json.RawMessage `json:"Records"`
}

type record struct {
	EventSource string `json:"eventSource"`
}

// Handle reads one event and acts on it. An SQS batch gets an
// events.SQSEventResponse naming the messages to retry; every other event
// gets a Result.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, fmt.Errorf("trigger: %w: %v", ErrUnknownEvent, err)
	}
	switch {
	case env.Rebuild != "":
		if env.Rebuild != "all" {
			return nil, fmt.Errorf("trigger: rebuild %q: %w (only \"all\")", env.Rebuild, ErrUnknownEvent)
		}
		return result(h.build(ctx, Job{Trigger: "rebuild", Full: true}))
	case env.Source == "aws.events" || env.DetailType == "Scheduled Event":
		return result(h.build(ctx, Job{Trigger: "schedule"}))
	case len(env.Records) > 0:
		var first record
		_ = json.Unmarshal(env.Records[0], &first)
		switch first.EventSource {
		case "aws:s3":
			var ev events.S3Event
			if err := json.Unmarshal(raw, &ev); err != nil {
				return nil, fmt.Errorf("trigger: s3 event: %w", err)
			}
			keys := h.keys(ev)
			if len(keys) == 0 {
				return &Result{Trigger: "s3"}, nil
			}
			return result(h.build(ctx, Job{Trigger: "s3", Keys: keys}))
		case "aws:sqs":
			var ev events.SQSEvent
			if err := json.Unmarshal(raw, &ev); err != nil {
				return nil, fmt.Errorf("trigger: sqs event: %w", err)
			}
			return h.sqs(ctx, ev), nil
		}
	}
	return nil, fmt.Errorf("trigger: %w", ErrUnknownEvent)
}

func (h *Handler) build(ctx context.Context, job Job) (*Result, error) {
	trigger := job.Trigger
	rep, err := h.Build(ctx, job)
	if err == nil && rep == nil {
		err = errors.New("build returned no report")
	}
	if err != nil {
		h.logger().ErrorContext(ctx, "build failed", "trigger", trigger, "err", err)
		return nil, fmt.Errorf("trigger: %s build: %w", trigger, err)
	}
	h.logger().InfoContext(ctx, "built", "trigger", trigger,
		"mode", rep.Mode, "keys", len(job.Keys), "fetched", rep.Articles.Fetched,
		"published", rep.Articles.Published, "rejected", len(rep.Rejected),
		"written", len(rep.Written), "unchanged", len(rep.Unchanged))
	sum := rep.Summary()
	for _, r := range sum.Rejected {
		h.logger().WarnContext(ctx, "rejected article", "key", r.Key, "problems", r.Problems)
	}
	if more := len(rep.Rejected) - len(sum.Rejected); more > 0 {
		h.logger().WarnContext(ctx, "more rejected articles", "count", more, "report", sum.Key)
	}
	return &Result{Trigger: trigger, Built: true, Report: sum}, nil
}

// result returns r as an answer, or no answer at all when err is set (not a
// nil *Result in a non-nil interface).
func result(r *Result, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return r, nil
}

// keys returns the article documents an S3 event created or removed,
// relative to the articles location.
func (h *Handler) keys(ev events.S3Event) []string {
	var out []string
	for _, r := range ev.Records {
		key := r.S3.Object.URLDecodedKey
		if key == "" {
			key = r.S3.Object.Key
		}
		rel, ok := strings.CutPrefix(key, h.ArticlePrefix)
		if !ok || !strings.HasSuffix(rel, ".json") ||
			!strings.HasPrefix(r.EventName, "ObjectCreated:") && !strings.HasPrefix(r.EventName, "ObjectRemoved:") {
			continue
		}
		if !documentKey(rel) {
			// S3 holds it, but no listing shows it and no store reads it: a
			// build of it would fail, and its message with it, every time.
			h.logger().Warn("ignored s3 key: not a document key", "key", key)
			continue
		}
		out = append(out, rel)
	}
	return out
}

// documentKey reports whether a key below the articles location can name
// a document: one a store can read (store.CheckKey: no empty, "." or ".."
// element, no backslash or control character) and a listing shows (no
// element that starts with a dot).
func documentKey(rel string) bool {
	return store.CheckKey(rel) == nil && !strings.HasPrefix(rel, ".") && !strings.Contains(rel, "/.")
}

// sqs runs one build for a batch of S3 notifications delivered through SQS.
// Messages that are not S3 notifications are reported as failures (after
// their retries they reach the dead-letter queue); when the build fails,
// every message that asked for it is retried.
func (h *Handler) sqs(ctx context.Context, ev events.SQSEvent) events.SQSEventResponse {
	var resp events.SQSEventResponse
	resp.BatchItemFailures = []events.SQSBatchItemFailure{}
	var wanting, keys []string
	for _, m := range ev.Records {
		var s3ev events.S3Event
		var probe struct {
			Event  string          `json:"Event"`
			FanOut json.RawMessage `json:"fanout"`
		}
		_ = json.Unmarshal([]byte(m.Body), &probe)
		switch {
		case probe.FanOut != nil && h.Work != nil:
			if err := h.Work(ctx, []byte(m.Body)); err != nil && !errors.Is(err, publish.ErrClaimGone) {
				h.logger().ErrorContext(ctx, "fan-out batch failed", "messageId", m.MessageId, "err", err)
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
			} else if err != nil {
				h.logger().WarnContext(ctx, "fan-out batch dropped", "messageId", m.MessageId, "err", err)
			}
		case json.Unmarshal([]byte(m.Body), &s3ev) == nil && len(s3ev.Records) > 0:
			if k := h.keys(s3ev); len(k) > 0 {
				wanting = append(wanting, m.MessageId)
				keys = append(keys, k...)
			}
		case probe.Event == "s3:TestEvent":
			// sent once when the notification is configured: nothing to do
		default:
			h.logger().ErrorContext(ctx, "sqs message is not an s3 event", "messageId", m.MessageId)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	if len(wanting) == 0 {
		return resp
	}
	// One build for the batch: the documents it names, each read once
	// (reordered or repeated events all read the document as it is now).
	sort.Strings(keys)
	keys = slices.Compact(keys)
	if _, err := h.build(ctx, Job{Trigger: "sqs", Keys: keys}); err != nil {
		for _, id := range wanting {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: id})
		}
	}
	return resp
}

func (h *Handler) logger() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}
