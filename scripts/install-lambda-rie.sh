#!/usr/bin/env bash
# install-lambda-rie.sh installs aws-lambda-rie, the Lambda Runtime Interface
# Emulator, into <repo>/.tools/bin (ignored by git). The localstack/ end-to-end
# suite runs the advance, trigger and registrar binaries under it.
#
# It is idempotent: a binary already built from the wanted version is left
# alone. It prints one line. Needs go (module proxy).
set -euo pipefail

RIE_MODULE=github.com/aws/aws-lambda-runtime-interface-emulator
RIE_VERSION=v0.0.0-20261030222936-bef5c4ba774d

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
mkdir -p "$tools/bin"

rie="$tools/bin/aws-lambda-rie"
# go version -m reads the module version the binary was built from.
if [[ -x "$rie" ]] && go version -m "$rie" 2>/dev/null |
	grep -Eq "^[[:space:]]+mod[[:space:]]+$RIE_MODULE[[:space:]]+$RIE_VERSION([[:space:]]|$)"; then
	echo "aws-lambda-rie $RIE_VERSION: already there ($rie)"
	exit 0
fi
# Outside the repository's module: go install pkg@version builds in module
# mode from the proxy, whatever the working directory.
(cd "$tools" && GOBIN="$tools/bin" GOFLAGS=-mod=mod go install "$RIE_MODULE/cmd/aws-lambda-rie@$RIE_VERSION")
echo "aws-lambda-rie $RIE_VERSION: installed ($rie)"
