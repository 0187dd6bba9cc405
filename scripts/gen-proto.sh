#!/usr/bin/env bash
# Regenerates the protobuf code in packages/server/src/gen/ from the upstream .proto files in
# ../shared/conformance/proto (Prometheus remote write, OTLP). The generated code is committed,
# so building Vigil never needs ../shared; run this only when the .proto files change.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
proto="${PROTO_DIR:-$root/../shared/conformance/proto}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cp -r "$proto/prometheus" "$work/prometheus"
cp -r "$proto/opentelemetry" "$work/opentelemetry"
cp -r "$proto/thirdparty" "$work/thirdparty"
cat > "$work/buf.yaml" <<'YAML'
version: v2
modules:
  - path: prometheus
  - path: opentelemetry
  - path: thirdparty
YAML
cat > "$work/buf.gen.yaml" <<YAML
version: v2
plugins:
  - local: $root/node_modules/.bin/protoc-gen-es
    out: $root/packages/server/src/gen
    opt: [target=ts, import_extension=ts]
YAML
rm -rf "$root/packages/server/src/gen"
# buf is fetched on demand: it is only needed here, and its platform binaries are large.
(cd "$work" && npx --yes --package=@bufbuild/buf@1.75.0 -- buf generate \
  --path prometheus/remote.proto --path prometheus/types.proto --path thirdparty/gogoproto \
  --path opentelemetry/opentelemetry/proto)
echo "generated into packages/server/src/gen"
