package s3store

import (
	"errors"
	"fmt"
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/aloft-run/aloft/store"
)

// errKind says what an S3 error means to the port.
type errKind int

const (
	kindOther     errKind = iota
	kindNotFound          // the key does not exist
	kindCondition         // a conditional write lost: 412, or 409 ConditionalRequestConflict
	kindNoBucket          // the bucket does not exist
)

// classify reads an SDK error's status code and S3 error code.
func classify(err error) (errKind, string) {
	status := 0
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	code := ""
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	switch {
	case code == "NoSuchBucket":
		return kindNoBucket, code
	case status == http.StatusPreconditionFailed || code == "PreconditionFailed":
		return kindCondition, code
	case status == http.StatusConflict && code == "ConditionalRequestConflict":
		return kindCondition, code
	case code == "NoSuchKey" || code == "NotFound" || status == http.StatusNotFound && code != "NoSuchUpload":
		return kindNotFound, code
	}
	return kindOther, code
}

// readErr maps the error of a read (Get, Head) of key: a missing key is
// store.ErrNotFound.
func (s *Store) readErr(op, key string, err error) error {
	switch kind, _ := classify(err); kind {
	case kindNotFound:
		return fmt.Errorf("%s %s: %w", op, s.URI(key), store.ErrNotFound)
	case kindNoBucket:
		return fmt.Errorf("%s %s: bucket %s does not exist: %w", op, s.URI(key), s.bucket, err)
	}
	return fmt.Errorf("%s %s: %w", op, s.URI(key), err)
}

// writeErr maps the error of a (possibly conditional) write of key. A lost
// condition is store.ErrConflict: 412 Precondition Failed, 409
// ConditionalRequestConflict (a concurrent conditional write to the same
// key), and, for If-Match, 404 (S3's answer when the key is missing).
func (s *Store) writeErr(op, key string, opts store.PutOptions, err error) error {
	kind, code := classify(err)
	switch {
	case kind == kindCondition, kind == kindNotFound && opts.IfMatch != "":
		if code == "" {
			code = "precondition failed"
		}
		return fmt.Errorf("%s %s (%s): %w", op, s.URI(key), code, store.ErrConflict)
	case kind == kindNoBucket:
		return fmt.Errorf("%s %s: bucket %s does not exist: %w", op, s.URI(key), s.bucket, err)
	}
	return fmt.Errorf("%s %s: %w", op, s.URI(key), err)
}
