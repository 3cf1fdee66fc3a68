#!/usr/bin/env bash
# Runs one tidings-bench command against a fresh two-instance cluster (MariaDB, Redis and
# RabbitMQ on loopback, as in docs/benchmarks.md): a new database, Redis prefix and queue names
# per run, both instances' /metrics saved at the end, everything removed afterwards. While the
# benchmark runs, MariaDB's open transactions and lock waits are sampled once a second: a
# transaction older than 2 s is printed with its statement (a commit stage that waits on a lock
# shows up there instead of as silence).
#
#   cargo build --release -p tidings-interfaces -p tidings-bench
#   bash bench/cluster.sh w5 --users 2000 --seconds 30
#   bash bench/cluster.sh w2 --pairs 1000 --messages 100 --rate 5000
#   DB_QUERY='statement-cache-capacity=400' bash bench/cluster.sh w5 --users 2000 --seconds 30
#   SIZES=1 TIMEOUT=1500 bash bench/cluster.sh w6   # search at size, and the index's size
#
# Loopback only; every run is bounded by --timeout.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${CARGO_TARGET_DIR:-target}/release"
OUT="${OUT:-cluster.jsonl}"
run="tb$$_$RANDOM"
scratch="$(mktemp -d)"
mysql=(mysql -h127.0.0.1 -uroot)
pids=()
cleanup() {
    kill "${pids[@]}" "${sampler:-}" 2>/dev/null || true
    wait 2>/dev/null || true
    # KEEP=1 leaves the database for a look by hand afterwards (drop it yourself).
    cluster_run_cleanup "$run"
    rm -rf "$scratch"
}
trap cleanup EXIT
source bench/common.sh
print_fsync_time "$scratch"

cluster_run_env "$run" "${DB_QUERY:-}"
export TIDINGS_GROUPS__MAX_MEMBERS=2000
for i in 1 2; do
    TIDINGS_INSTANCE_ID="c$i" TIDINGS_HTTP_ADDR="127.0.0.1:1909$i" TIDINGS_DATA_DIR="$scratch/c$i" \
        "$SERVER_BIN" >"$scratch/c$i.log" 2>&1 &
    pids+=($!)
    sleep 1 # the first instance migrates the new database
done
for port in 19091 19092; do
    for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
done

# Open transactions older than 2 s, and lock waits, once a second.
(while sleep 1; do
    "${mysql[@]}" -N -e "SELECT NOW(), t.trx_mysql_thread_id, t.trx_state, TIMESTAMPDIFF(SECOND, t.trx_started, NOW()),
        t.trx_rows_locked, LEFT(COALESCE(t.trx_query, p.INFO, ''), 160)
        FROM information_schema.innodb_trx t LEFT JOIN information_schema.processlist p ON p.ID = t.trx_mysql_thread_id
        WHERE t.trx_started < NOW() - INTERVAL 2 SECOND" 2>/dev/null | sed 's/^/long trx: /'
done) &
sampler=$!

S=http://127.0.0.1:19091,http://127.0.0.1:19092
# A failed or timed-out run still leaves the diagnostics and sizes below.
"$BIN/tidings-bench" --servers "$S" --server-pids "${pids[0]},${pids[1]}" --timeout "${TIMEOUT:-200}" "$@" \
    | tee -a "$OUT" | tail -1 || echo "tidings-bench failed (exit ${PIPESTATUS[0]})"
if [ -n "${DIAG:-}" ]; then
    # Where each instance's sockets to the services stand (a full Send-Q: the peer stopped
    # reading; a full Recv-Q: the instance did), and the broker's view of its connections.
    ss -tnpi '( dport = :5672 or dport = :6379 or dport = :3306 )' | grep -A1 -E "pid=(${pids[0]}|${pids[1]})," \
        | grep -v '^--' >"$OUT.ss" || true
    rabbitmqctl -q list_connections name state send_pend recv_cnt send_cnt >"$OUT.rabbit" 2>&1 || true
    rabbitmqctl -q list_channels name messages_unacknowledged messages_unconfirmed prefetch_count >>"$OUT.rabbit" 2>&1 || true
    rabbitmqctl -q list_queues name messages messages_unacknowledged consumers >>"$OUT.rabbit" 2>&1 || true
    "${mysql[@]}" -e "SELECT ID, COMMAND, TIME, STATE, LEFT(INFO, 120) FROM information_schema.processlist WHERE DB = '$run'" >"$OUT.mysql" || true
    for i in 1 2; do cp "$scratch/c$i.log" "$OUT.c$i.log"; done
    if ! grep -qE " ([0-9]+) sent, \1 acked" <(tail -1 "$OUT"); then
        # Not every send was acked: where is each thread of the two instances?
        for i in 1 2; do
            gdb -p "${pids[$((i - 1))]}" -batch -ex "thread apply all bt 30" >"$OUT.c$i.gdb" 2>&1 || true
        done
    fi
fi
if [ -n "${SIZES:-}" ]; then
    # What the search index costs beside the message table (W6): InnoDB's files of each, the
    # FULLTEXT key's auxiliary tables counted with the index.
    "${mysql[@]}" -N -e "SELECT CONCAT('sizes: messages table ', ROUND(SUM(IF(NAME = '$run/messages', ALLOCATED_SIZE, 0)) / 1048576, 1),
        ' MiB; search index ', ROUND(SUM(IF(NAME = '$run/search_docs' OR NAME LIKE '$run/FTS\\_%', ALLOCATED_SIZE, 0)) / 1048576, 1), ' MiB')
        FROM information_schema.INNODB_SYS_TABLESPACES WHERE NAME LIKE '$run/%'"
fi
for i in 1 2; do
    curl -sf "http://127.0.0.1:1909$i/metrics" >"${DIAG:+$OUT.}${DIAG:-$scratch/}c$i.metrics" || echo "c$i: no /metrics"
    echo "c$i log lines: $(grep -c . "$scratch/c$i.log" || true)"
    grep -m 5 -E "ERROR|WARN" "$scratch/c$i.log" || true
done
