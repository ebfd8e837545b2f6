package awsbatch

import (
	"errors"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Error is a failed AWS Batch call, reduced to plain fields so that no SDK
// error type escapes the package. Temporary reports whether trying again
// later may succeed (throttling, server errors); the dispatcher has already
// retried those MaxRetries times before returning one.
type Error struct {
	Op      string // "submit job aloft-x-fit-a1", "terminate job ID", ...
	Code    string // the API's error code ("ClientException", "TooManyRequestsException"); "" when none came back
	Status  int    // the HTTP status; 0 when no response came back
	Message string
}

func (e *Error) Error() string {
	s := e.Op + ": "
	if e.Code != "" {
		s += e.Code + ": "
	}
	if e.Status != 0 {
		s += "HTTP " + strconv.Itoa(e.Status) + ": "
	}
	return s + e.Message
}

// Throttled reports whether AWS refused the call for its rate.
func (e *Error) Throttled() bool {
	if _, ok := retry.DefaultThrottleErrorCodes[e.Code]; ok {
		return true
	}
	// Batch has also answered throttling as a ClientException "Too Many Requests".
	return e.Status == 429 || strings.Contains(strings.ToLower(e.Message), "too many requests")
}

// Temporary reports whether the call may succeed if tried again later.
func (e *Error) Temporary() bool {
	return e.Throttled() || e.Status >= 500 || e.Code == "ServerException"
}

// apiError turns an SDK error into an *Error.
func apiError(op string, err error) *Error {
	e := &Error{Op: op, Message: err.Error()}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		e.Code, e.Message = ae.ErrorCode(), ae.ErrorMessage()
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		e.Status = re.HTTPStatusCode()
	}
	return e
}
