package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// PutIfAbsent creates key with body only if no object has that key; it
// reports false, writing nothing, when one does. The body is written to a
// temporary file first and then linked to key (link(2) fails when key
// exists), so the check and the creation are one step and concurrent
// callers cannot both win, and a process killed mid-write never leaves a
// partial object under key.
func (f *Folder) PutIfAbsent(ctx context.Context, key string, body []byte) (bool, error) {
	if err := CheckKey(key); err != nil {
		return false, fmt.Errorf("folder store: put-if-absent %q: %w", key, err)
	}
	r, err := f.root(true)
	if err != nil {
		return false, err
	}
	defer r.Close()
	if dir := path.Dir(key); dir != "." {
		if err := r.MkdirAll(dir, 0o755); err != nil {
			return false, fmt.Errorf("folder store: put-if-absent %s: %w", key, err)
		}
	}
	f.count(opPut)
	f.countState(key, len(body), true)
	tmp := tempName(key)
	file, err := r.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return false, fmt.Errorf("folder store: put-if-absent %s: %w", key, err)
	}
	defer r.Remove(tmp) // linked or not, the temporary name goes
	_, err = file.Write(body)
	if err == nil {
		err = file.Sync()
	}
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return false, fmt.Errorf("folder store: put-if-absent %s: %w", key, err)
	}
	if err := r.Link(tmp, key); errors.Is(err, fs.ErrExist) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("folder store: put-if-absent %s: %w", key, err)
	}
	return true, nil
}

// PutIfAbsent creates key with body only if no object has that key, with an
// S3 conditional write (If-None-Match: *); it reports false when one does.
// As with PutIf, an upload whose answer was lost and whose retry finds the
// key taken is told by its token (one HEAD): then it created the key.
func (s *S3) PutIfAbsent(ctx context.Context, key string, body []byte) (bool, error) {
	if err := CheckKey(key); err != nil {
		return false, fmt.Errorf("s3 store: put-if-absent %q: %w", key, err)
	}
	token := randomSuffix()
	s.count(opPut)
	s.countState(key, len(body), true)
	_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(s.bucket),
		Key:           aws.String(s.prefix + key),
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
		IfNoneMatch:   aws.String("*"),
		Metadata:      map[string]string{writeIDMeta: token},
	})
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && (re.HTTPStatusCode() == 412 || re.HTTPStatusCode() == 409) {
		_, mine := s.landed(ctx, key, token)
		return mine, nil
	}
	if err != nil {
		return false, fmt.Errorf("s3 store: put-if-absent %s: %w", key, err)
	}
	return true, nil
}
