#!/usr/bin/env bash
# Placement and registry expiry on a cluster of N instances (default 10) on MariaDB, Redis and
# RabbitMQ here, with the default discovery settings (heartbeat 3 s, TTL 10 s):
#   1. W8: DEVICES devices (default 1000) reconnect through discovery, one at a time and then
#      PARALLEL at once (default 50): the spread over the instances, and how many come back to
#      the same instance;
#   2. one instance is killed (SIGKILL): how long until discovery stops offering it;
#   3. one instance is drained (SIGTERM): how long until discovery stops offering it.
#
#   CARGO_TARGET_DIR=… cargo build --release -p tidings-interfaces -p tidings-bench
#   bash bench/discovery.sh
#
# Loopback only; a fresh database, Redis prefix and queues, all removed at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${CARGO_TARGET_DIR:-target}/release"
N="${INSTANCES:-10}"
DEVICES="${DEVICES:-1000}"
PARALLEL="${PARALLEL:-50}"
run="td$$_$RANDOM"
scratch="$(mktemp -d)"
mysql=(mysql -h127.0.0.1 -uroot)
pids=()
cleanup() {
    kill "${pids[@]}" 2>/dev/null || true
    wait 2>/dev/null || true
    "${mysql[@]}" -e "DROP DATABASE IF EXISTS $run" || true
    redis-cli --scan --pattern "$run:*" | xargs -r -n 500 redis-cli del >/dev/null || true
    for i in $(seq "$N"); do rabbitmqctl delete_queue "$run.instance.d$i" >/dev/null 2>&1 || true; done
    rm -rf "$scratch"
}
trap cleanup EXIT
source bench/common.sh

"${mysql[@]}" -e "CREATE DATABASE $run"
# Every answer lists all instances, so the watch below sees the one that leaves.
export TIDINGS_LOG="${TIDINGS_LOG:-warn}" TIDINGS_WORKERS=1 TIDINGS_DB__MAX_CONNECTIONS=4 \
       TIDINGS_CLUSTER__REDIS_POOL_SIZE=2 TIDINGS_DISCOVERY__ANSWER=16 \
       TIDINGS_DISCOVERY__PER_IP_PER_SEC=1000000 TIDINGS_DISCOVERY__PER_IP_BURST=1000000 \
       TIDINGS_DATABASE_URL="mysql://root@127.0.0.1:3306/$run" \
       TIDINGS_REDIS_URL=redis://127.0.0.1:6379 TIDINGS_AMQP_URL=amqp://guest:guest@127.0.0.1:5672/%2f \
       TIDINGS_CLUSTER__REDIS_PREFIX="$run:" TIDINGS_CLUSTER__AMQP_PREFIX="$run." \
       TIDINGS_SIGNING_KEY="$(head -c 32 /dev/urandom | base64)"
for i in $(seq "$N"); do
    port=$((19200 + i))
    TIDINGS_INSTANCE_ID="d$i" TIDINGS_HTTP_ADDR="127.0.0.1:$port" TIDINGS_DATA_DIR="$scratch/d$i" \
        "$SERVER_BIN" >"$scratch/d$i.log" 2>&1 &
    pids+=($!)
    [ "$i" = 1 ] && sleep 1 # the first instance migrates the new database
done
for i in $(seq "$N"); do
    for _ in $(seq 300); do curl -sf "http://127.0.0.1:$((19200 + i))/readyz" >/dev/null && break; sleep 0.1; done
done
S=http://127.0.0.1:19201
listed() { curl -sf "$S/api/v1/discovery?device_id=watch" | grep -o "\"id\":\"d$1\"" || true; }
for _ in $(seq 100); do [ -n "$(listed "$N")" ] && break; sleep 0.1; done

"$BIN/tidings-bench" --servers "$S" --timeout 300 w8 --devices "$DEVICES" --parallel 1 | tail -1
"$BIN/tidings-bench" --servers "$S" --timeout 300 w8 --devices "$DEVICES" --parallel "$PARALLEL" | tail -1

# Times from the signal until discovery no longer lists the instance (polled every 50 ms).
gone_after() {
    local start now
    start=$(date +%s%N)
    while [ -n "$(listed "$1")" ]; do
        sleep 0.05
        now=$(date +%s%N)
        [ $(((now - start) / 1000000)) -gt 30000 ] && { echo "still listed after 30 s"; return; }
    done
    echo "$((($(date +%s%N) - start) / 1000000)) ms"
}
kill -9 "${pids[$((N - 1))]}"
echo "killed d$N (SIGKILL): no longer offered after $(gone_after "$N")"
kill -TERM "${pids[$((N - 2))]}"
echo "drained d$((N - 1)) (SIGTERM): no longer offered after $(gone_after $((N - 1)))"
