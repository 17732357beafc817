#!/usr/bin/env bash
# Starts s3s-fs 0.14.1 (a second, independent S3 server: it serves a local directory over the
# S3 API) on loopback for tests, creates a bucket, and waits until it answers.
# Use:  source .ci/s3s-fs-up.sh   (then run tests; it stops when the shell exits)
# Exports S3_ENDPOINT, S3_BUCKET, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, S3_PID,
# S3_FS_ROOT (the directory it serves).
# Installs with cargo into $S3S_FS_HOME (default ~/.cache/nf-ci/s3s-fs-0.14.1) the first time:
# it compiles about 250 crates (measured here: 8 min 18 s on 2 cores while another build ran,
# 6 min 11 s of CPU); later runs start it at once (ready in under 1 s).
# What it honours (nf's start-up probe, docs/SCALING.md): no ETags in object or part listings,
# If-Match on GET ignored, no ListMultipartUploads (501).
# Port: S3_BASE_PORT + 5 (default 21005), beside .ci/seaweedfs-up.sh's ports.
set -euo pipefail
S3S_FS_HOME="${S3S_FS_HOME:-$HOME/.cache/nf-ci/s3s-fs-0.14.1}"
if [ ! -x "$S3S_FS_HOME/bin/s3s-fs" ]; then
  command -v cargo >/dev/null || { echo "s3s-fs needs cargo to install"; exit 1; }
  cargo install s3s-fs --version 0.14.1 --features binary --locked --quiet --root "$S3S_FS_HOME"
fi
S3_TMP=$(mktemp -d /tmp/nf-s3s.XXXXXX); B=${S3_BASE_PORT:-21000}
export AWS_ACCESS_KEY_ID=nfci AWS_SECRET_ACCESS_KEY=nfci-secret AWS_REGION=us-east-1
export S3_ENDPOINT="http://127.0.0.1:$((B+5))" S3_BUCKET=${S3_BUCKET:-nf-ci}
export S3_FS_ROOT="$S3_TMP/data"
mkdir -p "$S3_FS_ROOT"
"$S3S_FS_HOME/bin/s3s-fs" --host 127.0.0.1 --port $((B+5)) --access-key "$AWS_ACCESS_KEY_ID" \
  --secret-key "$AWS_SECRET_ACCESS_KEY" "$S3_FS_ROOT" >"$S3_TMP/s3s-fs.log" 2>&1 &
export S3_PID=$!
trap 'kill "$S3_PID" 2>/dev/null; wait "$S3_PID" 2>/dev/null; rm -rf "$S3_TMP"' EXIT
ok=
for _ in $(seq 150); do   # ready = a signed CreateBucket succeeds
  code=$(curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 aws:amz:us-east-1:s3 \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
    -X PUT "$S3_ENDPOINT/$S3_BUCKET" || true)
  [ "$code" = 200 ] && { ok=1; break; }
  kill -0 "$S3_PID" 2>/dev/null || break
  sleep 0.2
done
[ -n "$ok" ] || { echo "s3s-fs did not start"; tail -50 "$S3_TMP/s3s-fs.log"; exit 1; }
set +euo pipefail
