#!/usr/bin/env bash
# W6 (search at size, docs/benchmarks.md "Search at size") on a fresh embedded server, then what
# the index costs beside the message table: the `messages` table and its indexes (SQLite's
# dbstat) against the index file `tidings.search.db`, checkpointed. For the cluster:
#   SIZES=1 bash bench/cluster.sh w6 [args]
#
#   cargo build --release -p tidings-interfaces -p tidings-bench
#   bash bench/search.sh                       # 1,000,000 messages in 10,000 conversations
#   bash bench/search.sh --messages 100000     # a smaller log (any w6 argument)
#
# Loopback only; the run is bounded by --timeout.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${CARGO_TARGET_DIR:-target}/release"
OUT="${OUT:-search.jsonl}"
PORT="${PORT:-18080}"
scratch="$(mktemp -d)"
trap 'kill "${server:-}" 2>/dev/null || true; rm -rf "$scratch"' EXIT
source bench/common.sh
print_fsync_time "$scratch"

export TIDINGS_LOG=warn
TIDINGS_HTTP_ADDR="127.0.0.1:$PORT" TIDINGS_DATA_DIR="$scratch/data" "$SERVER_BIN" &
server=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
"$BIN/tidings-bench" --servers "http://127.0.0.1:$PORT" --server-pids "$server" --timeout "${TIMEOUT:-900}" \
    w6 "$@" | tee -a "$OUT" | tail -n +2
kill "$server"; wait "$server" 2>/dev/null || true

python3 - "$scratch/data" <<'PY'
import os, sqlite3, sys
data = sys.argv[1]
db = sqlite3.connect(os.path.join(data, "tidings.db"))
messages = db.execute("SELECT SUM(pgsize) FROM dbstat WHERE name IN "
                      "(SELECT name FROM sqlite_schema WHERE tbl_name = 'messages')").fetchone()[0]
index_path = os.path.join(data, "tidings.search.db")
ix = sqlite3.connect(index_path)
ix.execute("PRAGMA wal_checkpoint(TRUNCATE)")
index = os.path.getsize(index_path)
mib = lambda n: n / 1048576
print(f"sizes: messages table and its indexes {mib(messages):.1f} MiB; search index file {mib(index):.1f} MiB "
      f"= {index / messages:.2f}x")
PY
