# shellcheck shell=bash
# Sourced by generate.sh and check.sh: pins the code-generation tools and
# installs them into the repository's bin/ (git-ignored, shared tool cache)
# from the Go module proxy. No protoc is needed: buf has a built-in compiler.

# buf CLI (lint + built-in compiler + plugin driver).
BUF_VERSION=v1.75.0
# protoc-gen-go must match google.golang.org/protobuf in go.mod, so the
# generated code and the runtime library it is compiled against agree.
PROTOC_GEN_GO_VERSION=v1.36.12

PROTO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$PROTO_DIR/.." && pwd)"
BIN="$REPO_ROOT/bin"
BUF="$BIN/buf"
PROTOC_GEN_GO="$BIN/protoc-gen-go"

_go_install() { # $1 = package@version, $2 = installed binary path
	echo "installing $1 into $BIN …" >&2
	mkdir -p "$BIN"
	rm -f "$2" # go install will not overwrite a file that is not a Go binary
	(cd "$PROTO_DIR" && GOWORK=off GOBIN="$BIN" go install "$1")
}

ensure_tools() {
	local mod_version
	mod_version="$(awk '$1 == "google.golang.org/protobuf" {print $2} $1 == "require" && $2 == "google.golang.org/protobuf" {print $3}' "$REPO_ROOT/go.mod")"
	if [[ "$mod_version" != "$PROTOC_GEN_GO_VERSION" ]]; then
		echo "proto/tools.sh pins protoc-gen-go $PROTOC_GEN_GO_VERSION but go.mod requires google.golang.org/protobuf ${mod_version:-<none>}: keep them equal" >&2
		return 1
	fi

	if [[ ! -x "$BUF" ]] || [[ "$("$BUF" --version 2>/dev/null)" != "${BUF_VERSION#v}" ]]; then
		_go_install "github.com/bufbuild/buf/cmd/buf@$BUF_VERSION" "$BUF"
	fi
	if [[ ! -x "$PROTOC_GEN_GO" ]] || [[ "$("$PROTOC_GEN_GO" --version 2>/dev/null)" != "protoc-gen-go $PROTOC_GEN_GO_VERSION" ]]; then
		_go_install "google.golang.org/protobuf/cmd/protoc-gen-go@$PROTOC_GEN_GO_VERSION" "$PROTOC_GEN_GO"
	fi
}
