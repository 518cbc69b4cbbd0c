#!/usr/bin/env bash
# Regenerates proto/gen/ from the .proto files (this is `make proto`).
# Installs the pinned buf and protoc-gen-go into the repo's bin/ if missing or
# at the wrong version, lints, then generates. Commit the resulting gen/ tree.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
ensure_tools

# buf.gen.yaml refers to the plugin as ../bin/protoc-gen-go: run from proto/.
cd "$PROTO_DIR"
"$BUF" lint
"$BUF" generate
echo "generated $(find gen -name '*.pb.go' | wc -l | tr -d ' ') files under proto/gen/" >&2
