#!/usr/bin/env bash
# Starts a one-node Ceph RGW (Debian's ceph-mon, ceph-osd with an in-memory object store, and
# radosgw; Ceph 16.2) on loopback for tests, creates a user and a bucket, and waits until it
# answers. Installs the packages with apt-get if they are missing (as root).
# Use:  source .ci/ceph-up.sh   (then run tests; it stops when the shell exits)
# Exports S3_ENDPOINT, S3_BUCKET, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION.
# Seen here: install 76 s (63 packages), start about 25 s (monitor 4 s, OSD 5 s, RGW creating
# its pools 10-15 s), about 115 MB idle plus what is stored (memstore keeps it in memory, at
# most 4 GiB). No authentication between the daemons (loopback only).
# Ports: S3_BASE_PORT + 6 (monitor) and + 7 (RGW), default 21006 and 21007.
# What it honours (nf's start-up probe, docs/SCALING.md): everything nf probes but the
# conditional completion (If-None-Match on CompleteMultipartUpload is ignored).
set -euo pipefail
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v radosgw >/dev/null || ! command -v ceph-osd >/dev/null || ! command -v ceph >/dev/null; then
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
    radosgw ceph-mon ceph-osd ceph-common >/dev/null
fi
CEPH_DIR=$(mktemp -d /tmp/nf-ceph.XXXXXX); B=${S3_BASE_PORT:-21000}
MON_PORT=$((B+6)) RGW_PORT=$((B+7))
export AWS_ACCESS_KEY_ID=nfci AWS_SECRET_ACCESS_KEY=nfci-secret AWS_REGION=us-east-1
export S3_ENDPOINT="http://127.0.0.1:$RGW_PORT" S3_BUCKET=${S3_BUCKET:-nf-ci}
mkdir -p "$CEPH_DIR/mon" "$CEPH_DIR/osd0" "$CEPH_DIR/run"
cat >"$CEPH_DIR/ceph.conf" <<CONF
[global]
fsid = $(cat /proc/sys/kernel/random/uuid)
mon host = v1:127.0.0.1:$MON_PORT
mon initial members = a
auth cluster required = none
auth service required = none
auth client required = none
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
osd objectstore = memstore
memstore device bytes = 4294967296
public addr = 127.0.0.1
run dir = $CEPH_DIR/run
log file = $CEPH_DIR/\$name.log
admin socket = $CEPH_DIR/run/\$name.asok
pid file = $CEPH_DIR/run/\$name.pid
mon data = $CEPH_DIR/mon
osd data = $CEPH_DIR/osd0
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
CONF
C=(-c "$CEPH_DIR/ceph.conf")
ceph_stop() {
  for d in client.rgw osd.0 mon.a; do
    [ -f "$CEPH_DIR/run/$d.pid" ] && kill "$(cat "$CEPH_DIR/run/$d.pid")" 2>/dev/null
  done
  sleep 1; rm -rf "$CEPH_DIR"
}
trap ceph_stop EXIT
monmaptool --create --add a "v1:127.0.0.1:$MON_PORT" --fsid "$(sed -n 's/^fsid = //p' "$CEPH_DIR/ceph.conf")" \
  "$CEPH_DIR/monmap" >/dev/null
ceph-authtool --create-keyring "$CEPH_DIR/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-mon "${C[@]}" --mkfs -i a --monmap "$CEPH_DIR/monmap" --keyring "$CEPH_DIR/mon.keyring"
ceph-mon "${C[@]}" -i a                                   # daemonizes
osd=$(timeout 60 ceph "${C[@]}" osd create)
ceph-osd "${C[@]}" -i "$osd" --mkfs 2>>"$CEPH_DIR/mkfs.log"
ceph-osd "${C[@]}" -i "$osd" 2>>"$CEPH_DIR/osd.err"
radosgw "${C[@]}" -n client.rgw
ok=
for _ in $(seq 300); do   # ready = the user exists and a signed CreateBucket succeeds
  if timeout 20 radosgw-admin "${C[@]}" -n client.rgw user info --uid=nfci >/dev/null 2>&1 ||
     timeout 20 radosgw-admin "${C[@]}" -n client.rgw user create --uid=nfci --display-name=nfci \
       --access-key="$AWS_ACCESS_KEY_ID" --secret="$AWS_SECRET_ACCESS_KEY" >/dev/null 2>&1; then
    code=$(curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 aws:amz:us-east-1:s3 \
      -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
      -X PUT "$S3_ENDPOINT/$S3_BUCKET" || true)
    [ "$code" = 200 ] && { ok=1; break; }
  fi
  sleep 0.5
done
[ -n "$ok" ] || { echo "Ceph RGW did not start"; tail -30 "$CEPH_DIR"/*.log; exit 1; }
set +euo pipefail
