package awsbatch

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/batch"
)

// CancelReason is the reason Cancel gives AWS Batch; a job that failed for
// it reports Outcome kind system, message "cancelled".
const CancelReason = "aloft: cancelled"

// Cancel terminates a job (an array child "<id>:<i>", or a whole array job by
// its id). Cancelling an unknown or finished job is not an error: AWS Batch
// answers it as a success, and an id it reports as not found is ignored.
func (d *Dispatcher) Cancel(ctx context.Context, jobID string) error {
	if jobID == "" || jobID == RejectedJobID {
		return nil
	}
	err := d.call(ctx, "terminate job "+jobID, false, func(ctx context.Context) error {
		_, err := d.cfg.Client.TerminateJob(ctx, &batch.TerminateJobInput{JobId: aws.String(jobID), Reason: aws.String(CancelReason)})
		return err
	})
	var e *Error
	if errors.As(err, &e) && e.Code == "ClientException" {
		msg := strings.ToLower(e.Message)
		if strings.Contains(msg, "not found") || strings.Contains(msg, "does not exist") {
			return nil
		}
	}
	return err
}
