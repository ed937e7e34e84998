package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// hashMeta is the object metadata key holding the content hash, so that an
// unchanged object is recognised with a HEAD instead of a download.
const hashMeta = "sha256"

// S3 stores objects in an S3 bucket under a key prefix. The client is
// injected: endpoint, region, credentials and addressing are the caller's.
type S3 struct {
	client *s3.Client
	bucket string
	prefix string // "" or ending in "/"
	ops    atomic.Pointer[Ops]
}

// NewS3 returns a store over bucket, with every key below prefix.
func NewS3(client *s3.Client, bucket, prefix string) *S3 {
	prefix = strings.Trim(prefix, "/")
	if prefix != "" {
		prefix += "/"
	}
	return &S3{client: client, bucket: bucket, prefix: prefix}
}

// String names the store in messages.
func (s *S3) String() string { return "s3://" + s.bucket + "/" + s.prefix }

// Count makes the store count its requests in ops from now on; nil stops
// counting. Every request made counts, whatever its answer: one List per
// ListObjectsV2 page, one Get per GetObject, one Head per HeadObject, one
// Put per PutObject, one Delete per DeleteObject.
func (s *S3) Count(ops *Ops) { s.ops.Store(ops) }

func (s *S3) count(k opKind) { s.ops.Load().add(k) }

// countState counts the bytes of internal state read or written.
func (s *S3) countState(key string, n int, written bool) { s.ops.Load().state(key, n, written) }

// List returns the objects whose keys start with prefix, sorted by key,
// each with its ETag as Version (the same string Get returns).
func (s *S3) List(ctx context.Context, prefix string) ([]Info, error) {
	var out []Info
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{
		Bucket: aws.String(s.bucket),
		Prefix: aws.String(s.prefix + prefix),
	})
	for p.HasMorePages() {
		page, err := s.listPage(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("s3 store: list %s%s: %w", s, prefix, err)
		}
		for _, o := range page.Contents {
			key := strings.TrimPrefix(aws.ToString(o.Key), s.prefix)
			if CheckKey(key) != nil || hidden(key) {
				continue // "dir/" markers, keys no folder could hold, dot-files as a folder hides them
			}
			out = append(out, Info{Key: key, Size: aws.ToInt64(o.Size), ModTime: aws.ToTime(o.LastModified), Version: aws.ToString(o.ETag)})
		}
	}
	return out, nil // S3 lists in key (UTF-8 byte) order already
}

// listPage asks for the paginator's next page. The SDK retries a request
// that fails, but not an answer that breaks off once it has begun (an XML
// listing cut short cannot be read): such a page is asked for again after
// each of getBackoff's pauses, and then fails with ErrIncomplete.
func (s *S3) listPage(ctx context.Context, p *s3.ListObjectsV2Paginator) (*s3.ListObjectsV2Output, error) {
	for attempt := 0; ; attempt++ {
		s.count(opList)
		page, err := p.NextPage(ctx) // a failed page leaves the paginator where it was
		if err == nil {
			return page, nil
		}
		if !broken(err) || ctx.Err() != nil {
			return nil, normalise(err)
		}
		if attempt == len(getBackoff) {
			return nil, fmt.Errorf("%w: %w", ErrIncomplete, err)
		}
		select {
		case <-time.After(getBackoff[attempt]):
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: %w", ErrIncomplete, err)
		}
	}
}

// broken reports whether a request failed because its answer could not be
// read whole (the SDK could not decode it: an XML body cut short).
func broken(err error) bool {
	var de *smithy.DeserializationError
	return errors.As(err, &de)
}

// Get reads one object.
func (s *S3) Get(ctx context.Context, key string) (*Object, error) {
	return s.GetIfChanged(ctx, key, "")
}

// getBackoff are the pauses before a GET is made again when its body came
// back incomplete (see ErrIncomplete). The SDK retries failed requests,
// but not a body that breaks off once the answer has begun: it is read
// after the request returns.
var getBackoff = []time.Duration{50 * time.Millisecond, 200 * time.Millisecond, 800 * time.Millisecond}

// GetIfChanged reads one object with a conditional GET: when its ETag is
// still version, S3 answers 304 and this returns ErrNotModified.
//
// The body is checked before it is returned: its length against the
// answer's Content-Length, and its SHA-256 against the hash the store
// wrote with it (the sha256 metadata), when it has one; and the SDK
// checks it against the checksum S3 keeps of it (a CRC of the upload),
// when S3 has one. A body that breaks off,
// comes back short or does not match is fetched again, after each of
// getBackoff's pauses; when every try fails the error wraps ErrIncomplete.
func (s *S3) GetIfChanged(ctx context.Context, key, version string) (*Object, error) {
	if err := CheckKey(key); err != nil {
		return nil, fmt.Errorf("s3 store: get %q: %w", key, err)
	}
	for attempt := 0; ; attempt++ {
		obj, err := s.getOnce(ctx, key, version)
		if err == nil || !errors.Is(err, ErrIncomplete) || attempt == len(getBackoff) {
			return obj, err
		}
		select {
		case <-time.After(getBackoff[attempt]):
		case <-ctx.Done():
			return nil, err
		}
	}
}

// getOnce makes one GET of key and checks the body it brings.
func (s *S3) getOnce(ctx context.Context, key, version string) (*Object, error) {
	// ChecksumMode asks S3 for the checksum it keeps of the object, which
	// the SDK then checks the body against, however the client is set up.
	in := &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.prefix + key), ChecksumMode: s3types.ChecksumModeEnabled}
	if version != "" {
		in.IfNoneMatch = aws.String(version)
	}
	s.count(opGet)
	out, err := s.client.GetObject(ctx, in)
	if err != nil {
		err = normalise(err)
		if errors.Is(err, ErrNotModified) {
			s.count(opNotModified)
			return nil, err
		}
		if broken(err) && ctx.Err() == nil { // an error answer cut short
			return nil, fmt.Errorf("s3 store: get %s: %w: %w", key, ErrIncomplete, err)
		}
		return nil, fmt.Errorf("s3 store: get %s: %w", key, err)
	}
	defer out.Body.Close()
	var buf bytes.Buffer
	length := int64(-1)
	if out.ContentLength != nil {
		length = *out.ContentLength
	}
	if length > 0 {
		buf.Grow(int(length))
	}
	if _, err := io.Copy(&buf, out.Body); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("s3 store: get %s: %w", key, ctx.Err())
		}
		return nil, fmt.Errorf("s3 store: get %s: %w after %d bytes: %w", key, ErrIncomplete, buf.Len(), err)
	}
	body := buf.Bytes()
	s.countState(key, len(body), false)
	if length >= 0 && int64(len(body)) != length {
		return nil, fmt.Errorf("s3 store: get %s: %w: %d bytes of %d", key, ErrIncomplete, len(body), length)
	}
	hash := Hash(body)
	if want := out.Metadata[hashMeta]; want != "" && want != hash {
		return nil, fmt.Errorf("s3 store: get %s: %w: sha256 %s, stored with %s", key, ErrIncomplete, hash, want)
	}
	return &Object{
		Key:             key,
		Body:            body,
		ContentType:     firstNonEmpty(aws.ToString(out.ContentType), TypeByKey(key)),
		CacheControl:    aws.ToString(out.CacheControl),
		ContentEncoding: aws.ToString(out.ContentEncoding),
		Hash:            hash,
		ModTime:         aws.ToTime(out.LastModified),
		Version:         aws.ToString(out.ETag),
	}, nil
}

// Put uploads o unless the stored object already has the same content hash
// (asked with a HEAD), in which case it reports changed false.
func (s *S3) Put(ctx context.Context, o *Object) (changed bool, err error) {
	if err := CheckKey(o.Key); err != nil {
		return false, fmt.Errorf("s3 store: put %q: %w", o.Key, err)
	}
	in := s.putInput(o)
	s.count(opHead)
	head, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.prefix + o.Key)})
	switch err = normalise(err); {
	case err == nil:
		if head.Metadata[hashMeta] == in.Metadata[hashMeta] && aws.ToString(head.ContentType) == aws.ToString(in.ContentType) &&
			aws.ToString(head.CacheControl) == o.CacheControl {
			return false, nil
		}
	case !errors.Is(err, ErrNotFound):
		return false, fmt.Errorf("s3 store: put %s: %w", o.Key, err)
	}
	s.count(opPut)
	s.countState(o.Key, len(o.Body), true)
	if _, err := s.client.PutObject(ctx, in); err != nil {
		return false, fmt.Errorf("s3 store: put %s: %w", o.Key, normalise(err))
	}
	return true, nil
}

// Write uploads o as Put does (content type, cache-control, the sha256
// metadata) but without asking first whether it changed: one PutObject, no
// HEAD. It returns the new version, the ETag of the upload.
func (s *S3) Write(ctx context.Context, o *Object) (version string, err error) {
	if err := CheckKey(o.Key); err != nil {
		return "", fmt.Errorf("s3 store: write %q: %w", o.Key, err)
	}
	s.count(opPut)
	s.countState(o.Key, len(o.Body), true)
	out, err := s.client.PutObject(ctx, s.putInput(o))
	if err != nil {
		return "", fmt.Errorf("s3 store: write %s: %w", o.Key, normalise(err))
	}
	return aws.ToString(out.ETag), nil
}

// s3Workers is how many uploads an S3 store's WriteAll makes at once.
const s3Workers = 16

// WriteAll uploads every object as Write does (one PutObject each, with
// content type, cache-control and the sha256 metadata; no HEAD), up to
// s3Workers at once, and returns their ETags in order. Each upload
// replaces its object whole: S3 shows the old object or the new one. An
// object with an invalid key, or whose upload fails, fails alone: the
// others are still uploaded. A cancelled context fails every object not
// yet uploaded. The objects of a key given twice are uploaded one after
// the other, in order, so that the last one stands.
func (s *S3) WriteAll(ctx context.Context, objs []*Object) (versions []string, err error) {
	versions = make([]string, len(objs))
	errs := make([]error, len(objs))
	var tasks [][]int // indices of objs, one task per key
	task := make(map[string]int)
	for i, o := range objs {
		if err := CheckKey(o.Key); err != nil {
			errs[i] = fmt.Errorf("s3 store: write %q: %w", o.Key, err)
			continue
		}
		if t, ok := task[o.Key]; ok {
			tasks[t] = append(tasks[t], i)
			continue
		}
		task[o.Key] = len(tasks)
		tasks = append(tasks, []int{i})
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(s3Workers, len(tasks)) {
		wg.Go(func() {
			for {
				n := int(next.Add(1) - 1)
				if n >= len(tasks) {
					return
				}
				for _, i := range tasks[n] {
					if err := ctx.Err(); err != nil {
						errs[i] = fmt.Errorf("s3 store: write %s: %w", objs[i].Key, err)
						continue
					}
					versions[i], errs[i] = s.Write(ctx, objs[i])
				}
			}
		})
	}
	wg.Wait()
	return versions, errors.Join(errs...)
}

// PutIf uploads o with an S3 conditional write: when ifMatch is "", only
// if no object has the key (If-None-Match: *); otherwise only if the
// object's ETag is ifMatch (If-Match). When the condition does not hold
// it fails with an error wrapping ErrPrecondition: S3 answers 412, or 409
// ConditionalRequestConflict to a concurrent conditional write; an
// If-Match on a missing key is answered 404 (AWS, versitygw). It returns
// the new version, the ETag of the upload.
//
// A conditional write whose answer is lost (a reset connection, a 500
// after S3 applied it) is retried by the SDK, and the retry finds the
// condition broken by the write itself. So every upload carries a token
// of its own (the write-id metadata), and a PutIf that fails its
// condition asks, with one HEAD, whether the object holds its token: then
// the write is in place, and PutIf returns its version.
func (s *S3) PutIf(ctx context.Context, o *Object, ifMatch string) (version string, err error) {
	if err := CheckKey(o.Key); err != nil {
		return "", fmt.Errorf("s3 store: put-if %q: %w", o.Key, err)
	}
	in := s.putInput(o)
	if ifMatch == "" {
		in.IfNoneMatch = aws.String("*")
	} else {
		in.IfMatch = aws.String(ifMatch) // never both: versitygw answers 501
	}
	token := randomSuffix()
	in.Metadata[writeIDMeta] = token
	s.count(opPut)
	s.countState(o.Key, len(o.Body), true)
	out, err := s.client.PutObject(ctx, in)
	if err != nil {
		err = preconditionErr(err, ifMatch != "")
		if errors.Is(err, ErrPrecondition) {
			if version, ok := s.landed(ctx, o.Key, token); ok {
				return version, nil
			}
		}
		return "", fmt.Errorf("s3 store: put-if %s: %w", o.Key, err)
	}
	return aws.ToString(out.ETag), nil
}

// writeIDMeta is the object metadata key of a conditional upload's token.
const writeIDMeta = "write-id"

// landed reports whether the object under key is the upload that carried
// token, and its version.
func (s *S3) landed(ctx context.Context, key, token string) (string, bool) {
	s.count(opHead)
	head, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.prefix + key)})
	if err != nil || head.Metadata[writeIDMeta] != token {
		return "", false
	}
	return aws.ToString(head.ETag), true
}

// putInput is the upload of o that Put, Write and PutIf make.
func (s *S3) putInput(o *Object) *s3.PutObjectInput {
	hash := o.Hash
	if hash == "" {
		hash = Hash(o.Body)
	}
	in := &s3.PutObjectInput{
		Bucket:        aws.String(s.bucket),
		Key:           aws.String(s.prefix + o.Key),
		Body:          bytes.NewReader(o.Body),
		ContentLength: aws.Int64(int64(len(o.Body))),
		ContentType:   aws.String(firstNonEmpty(o.ContentType, TypeByKey(o.Key))),
		Metadata:      map[string]string{hashMeta: hash},
	}
	if o.CacheControl != "" {
		in.CacheControl = aws.String(o.CacheControl)
	}
	if enc := firstNonEmpty(o.ContentEncoding, EncodingByKey(o.Key)); enc != "" {
		in.ContentEncoding = aws.String(enc)
	}
	return in
}

// preconditionErr maps a failed conditional PutObject's answer to
// ErrPrecondition when it says the condition did not hold, keeping the
// original error in the chain: 412 Precondition Failed; 409
// ConditionalRequestConflict (another conditional write of the key was in
// progress); 404 to an If-Match (no object to match) unless the bucket is
// what is missing.
func preconditionErr(err error, ifMatch bool) error {
	var re *smithyhttp.ResponseError
	if !errors.As(err, &re) {
		return normalise(err)
	}
	code := ""
	var api smithy.APIError
	if errors.As(err, &api) {
		code = api.ErrorCode()
	}
	switch status := re.HTTPStatusCode(); {
	case status == 412,
		status == 409 && code == "ConditionalRequestConflict",
		status == 404 && ifMatch && code != "NoSuchBucket":
		return errors.Join(ErrPrecondition, err)
	}
	return normalise(err)
}

// Delete removes one object; deleting a missing object is not an error.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return fmt.Errorf("s3 store: delete %q: %w", key, err)
	}
	s.count(opDelete)
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.prefix + key)})
	if err = normalise(err); err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("s3 store: delete %s: %w", key, err)
	}
	return nil
}

// normalise maps the SDK's not-found and not-modified answers to this
// package's sentinels, keeping the original error in the chain.
func normalise(err error) error {
	if err == nil {
		return nil
	}
	var nsk *s3types.NoSuchKey
	var nf *s3types.NotFound
	var nsb *s3types.NoSuchBucket
	if errors.As(err, &nsk) || errors.As(err, &nf) || errors.As(err, &nsb) {
		return errors.Join(ErrNotFound, err)
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		switch re.HTTPStatusCode() {
		case 304:
			return errors.Join(ErrNotModified, err)
		case 404:
			return errors.Join(ErrNotFound, err)
		}
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "NotModified":
			return errors.Join(ErrNotModified, err)
		case "NoSuchKey", "NotFound", "NoSuchBucket":
			return errors.Join(ErrNotFound, err)
		}
	}
	return err
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// hidden reports whether any element of key starts with a dot: stores keep
// such objects (rebuild claims) out of listings.
func hidden(key string) bool {
	return strings.HasPrefix(key, ".") || strings.Contains(key, "/.")
}
