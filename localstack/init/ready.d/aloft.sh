#!/bin/bash
# aloft.sh runs inside the LocalStack container once it is ready (an init
# hook: /etc/localstack/init/ready.d). It makes what the end-to-end suite
# expects of a deployment, the way the CDK stack does in AWS:
#
#   the bucket, with EventBridge notifications on;
#   the advance queue (aloft-advance), with a short visibility timeout so a
#     message advance reports failed comes back soon;
#   the stack's S3 rules, from the patterns in /opt/aloft/patterns (written by
#     `go test ./localstack -run TestInitPatterns -update` from
#     functions.RulePatterns): results and requests -> aloft-advance, and,
#     standing in for the Lambda targets (the suite runs trigger and
#     registrar under aws-lambda-rie on the host, beside the AWS Batch
#     double), incoming objects -> aloft-e2e-trigger and active pointers ->
#     aloft-e2e-registrar;
#   the suite's own rule: runner output uploads -> aloft-e2e-uploads (it
#     checks that no attempt ran twice).
#
# The Batch rule is not made: the Batch double's events reach the queue from
# the suite. Running it again changes nothing.
set -euo pipefail

bucket="${ALOFT_E2E_BUCKET:-aloft-e2e}"
region="${AWS_DEFAULT_REGION:-us-east-1}"
account="000000000000" # LocalStack's account for the test credentials
patterns="${ALOFT_PATTERNS_DIR:-/opt/aloft/patterns}"

awslocal s3api head-bucket --bucket "$bucket" 2>/dev/null ||
	awslocal s3api create-bucket --bucket "$bucket" >/dev/null
awslocal s3api put-bucket-notification-configuration --bucket "$bucket" \
	--notification-configuration '{"EventBridgeConfiguration": {}}'

for q in aloft-advance aloft-e2e-trigger aloft-e2e-registrar aloft-e2e-uploads; do
	awslocal sqs create-queue --queue-name "$q" --attributes VisibilityTimeout=2 >/dev/null
done

# rule NAME PATTERN-FILE QUEUE
rule() {
	local pattern
	# The patterns name the bucket aloft-e2e.
	pattern="$(sed "s/\"aloft-e2e\"/\"$bucket\"/" "$patterns/$2")"
	awslocal events put-rule --name "$1" --event-pattern "$pattern" >/dev/null
	awslocal events put-targets --rule "$1" \
		--targets "Id=$3,Arn=arn:aws:sqs:$region:$account:$3" >/dev/null
}
rule aloft-results queue.json aloft-advance
rule aloft-trigger trigger.json aloft-e2e-trigger
rule aloft-registrar registrar.json aloft-e2e-registrar
rule aloft-e2e-uploads uploads.json aloft-e2e-uploads # last: the healthcheck looks for it

echo "aloft: bucket $bucket, queues and rules ready"
