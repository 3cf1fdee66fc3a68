#!/usr/bin/env bash
# W7 (offline push fan-out) against a release server and tidings-fake-push, both started here.
# Binaries from $B (default $HOME/bench-bin/cur/release: `cargo build --release` with that target dir).
# usage: bench/w7-push.sh <mode: native|none> <bench args...>
set -euo pipefail
mode=$1; shift
B=${B:-$HOME/bench-bin/cur/release}
rm -rf /tmp/w7/data /tmp/w7/fp; mkdir -p /tmp/w7/data
$B/tidings-fake-push --dir /tmp/w7/fp --seconds 600 > /tmp/w7/fp.json &
fp=$!
for _ in $(seq 100); do [ -s /tmp/w7/fp.json ] && break; sleep 0.1; done
j() { python3 -c "import json,sys; print(json.load(open('/tmp/w7/fp.json'))['$1'])"; }
export TIDINGS_LOG=warn TIDINGS_LIMITS__SEND_PER_SEC=1000000 TIDINGS_LIMITS__SEND_BURST=1000000 \
       TIDINGS_GATEWAY__AUTH_PER_SEC=1000000 TIDINGS_GATEWAY__AUTH_BURST=1000000 \
       TIDINGS_AUTH__ARGON2_MEMORY_KIB=1024 TIDINGS_AUTH__ARGON2_ITERATIONS=1 \
       TIDINGS_GROUPS__MAX_MEMBERS=2000 TIDINGS_HTTP_ADDR=127.0.0.1:18480 TIDINGS_DATA_DIR=/tmp/w7/data
if [ "$mode" = native ]; then
  export TIDINGS_PUSH__PROVIDER=native TIDINGS_PUSH__PREVIEW=true \
    TIDINGS_PUSH__APNS_URL=$(j apns_url) TIDINGS_PUSH__APNS_CA_FILE=$(j apns_ca_file) \
    TIDINGS_PUSH__APNS_KEY_FILE=$(j apns_key_file) TIDINGS_PUSH__APNS_KEY_ID=$(j apns_key_id) \
    TIDINGS_PUSH__APNS_TEAM_ID=$(j apns_team_id) TIDINGS_PUSH__APNS_TOPIC=$(j apns_topic) \
    TIDINGS_PUSH__FCM_URL=$(j fcm_url) TIDINGS_PUSH__FCM_SERVICE_ACCOUNT_FILE=$(j fcm_service_account_file)
  stats="--stats-url $(j stats_url)"
else
  stats=""
fi
$B/tidings > /tmp/w7/server.log 2>&1 &
srv=$!
trap 'kill $srv $fp 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf http://127.0.0.1:18480/healthz >/dev/null && break; sleep 0.1; done
$B/tidings-bench --servers http://127.0.0.1:18480 --server-pids $srv --timeout 120 w7 $stats "$@" | tail -1
echo "fake-push cpu (utime+stime ticks): $(awk '{print $14+$15}' /proc/$fp/stat)"
grep -c WARN /tmp/w7/server.log || true
