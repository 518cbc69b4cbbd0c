#!/usr/bin/env bash
# Fails if the committed proto/gen/ tree differs from what the .proto files
# generate (run inside `make test`). Regenerates into a temporary directory;
# the working tree is not touched.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
ensure_tools

cd "$PROTO_DIR"
"$BUF" lint

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# --output prefixes every `out:` of buf.gen.yaml, so this writes $tmp/gen.
"$BUF" generate --output "$tmp"

if ! diff -ru "$tmp/gen" gen; then
	echo >&2
	echo "generated code is stale: run make proto (and commit proto/gen/)" >&2
	exit 1
fi
echo "proto/gen is up to date" >&2
