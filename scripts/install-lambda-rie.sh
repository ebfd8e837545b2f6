#!/usr/bin/env bash
# install-lambda-rie.sh installs aws-lambda-rie, the Lambda Runtime Interface
# Emulator, into <repo>/.tools/bin (ignored by git). The localstack/ end-to-end
# suite runs the advance, trigger and registrar binaries under it.
# Idempotent (see install-go-tool.sh). Needs go (module proxy).
set -euo pipefail
RIE_MODULE=github.com/aws/aws-lambda-runtime-interface-emulator
RIE_VERSION=v0.0.0-20261030222936-bef5c4ba774d
exec "$(dirname "${BASH_SOURCE[0]}")/install-go-tool.sh" aws-lambda-rie "$RIE_MODULE" "$RIE_MODULE/cmd/aws-lambda-rie" "$RIE_VERSION"
