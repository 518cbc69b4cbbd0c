#!/usr/bin/env bash
# Regenerates the web console's typed API clients from the services' OpenAPI
# documents (docs/api/<service>.openapi.json) with the pinned oapi-codegen
# (tools/apigen). OUT=dir writes them under dir instead (make api-check).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../.." && pwd)
gen=${OAPI_CODEGEN:-$root/bin/oapi-codegen}
out=${OUT:-$here}
for s in customer followup sales service marketing; do
  mkdir -p "$out/${s}api"
  (cd "$out" && "$gen" -config "$here/${s}api/oapi-codegen.yaml" "$root/docs/api/$s.openapi.json")
done
