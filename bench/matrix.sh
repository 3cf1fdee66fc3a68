#!/usr/bin/env bash
# The W2 shape matrix of docs/benchmarks.md, each shape on a freshly started embedded server:
# pairs 50 / 1,000 / 5,000; closed loop (window 1 and 10 unacknowledged sends per sender) and
# open loop (10,000 and 20,000 msgs/s offered). Prints the server binary and the machine's fsync
# time first, then the summary line of each run (its whole output goes to $OUT, default
# ./matrix.jsonl: the JSON line, then the summary and by-second lines).
#
#   cargo build --release -p tidings-interfaces -p tidings-bench
#   bash bench/matrix.sh                 # every shape
#   bash bench/matrix.sh 1000:w10 5000:r20000   # chosen shapes: PAIRS:wWINDOW or PAIRS:rRATE
#   TOTAL=300000 bash bench/matrix.sh 5000:w10  # longer closed-loop runs (past the start-up)
#   W2_ARGS="--edit-pct 10 --react-pct 20" bash bench/matrix.sh 1000:w10  # with message actions
#   SERVER_BIN=/path/to/other/tidings bash bench/matrix.sh  # another server build (common.sh)
#   HOOK=1 bash bench/matrix.sh 1000:r5000     # every send asks a before-send hook on loopback
#   FILTER_WORDS=50000 W2_ARGS=--text bash bench/matrix.sh 1000:r10000  # with a 50,000-word list
#
# Loopback only; every run is bounded by --timeout.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${CARGO_TARGET_DIR:-target}/release"
OUT="${OUT:-matrix.jsonl}"
PORT="${PORT:-18080}"
shapes=("$@")
# Extra arguments for every w2 run (W2_ARGS, split at spaces).
read -ra extra <<< "${W2_ARGS:-}"
if [ ${#shapes[@]} -eq 0 ]; then
    shapes=(50:w1 50:w10 50:r10000 50:r20000 1000:w1 1000:w10 1000:r10000 1000:r20000
            5000:w1 5000:w10 5000:r10000 5000:r20000)
fi

scratch="$(mktemp -d)"
trap 'kill "${server:-}" 2>/dev/null || true; rm -rf "$scratch"' EXIT
source bench/common.sh
print_fsync_time "$scratch"

export TIDINGS_LOG=warn
if [ -n "${HOOK:-}" ]; then
    # A hook process that allows everything; the server asks it about every send.
    "$BIN/tidings-bench" --timeout 3600 hook --port 18090 &
    hook=$!
    trap 'kill "${server:-}" "$hook" 2>/dev/null || true; rm -rf "$scratch"' EXIT
    export TIDINGS_HOOKS__BEFORE_SEND_URL=http://127.0.0.1:18090/before-send TIDINGS_HOOKS__BEFORE_SEND_SECRET=bench
fi
if [ -n "${FILTER_WORDS:-}" ]; then
    export TIDINGS_ADMIN__INITIAL_USERNAME=bench-admin TIDINGS_ADMIN__INITIAL_PASSWORD=bench-admin-password
fi

for shape in "${shapes[@]}"; do
    pairs="${shape%%:*}"; mode="${shape#*:}"
    # About $TOTAL messages per closed-loop run (default 100,000; at least 20 per sender).
    messages=$(( ${TOTAL:-100000} / pairs )); [ "$messages" -lt 20 ] && messages=20
    case "$mode" in
        w*) args=(--window "${mode#w}") ;;
        r*) args=(--rate "${mode#r}")
            # An open-loop run lasts ~10 s at its offered rate.
            messages=$(( ${mode#r} * 10 / pairs )); [ "$messages" -lt 2 ] && messages=2 ;;
        *) echo "bad shape $shape" >&2; exit 2 ;;
    esac
    rm -rf "$scratch/data"
    TIDINGS_HTTP_ADDR="127.0.0.1:$PORT" TIDINGS_DATA_DIR="$scratch/data" "$SERVER_BIN" &
    server=$!
    for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
    if [ -n "${FILTER_WORDS:-}" ]; then
        "$BIN/tidings-bench" --servers "http://127.0.0.1:$PORT" seed-filter --words "$FILTER_WORDS"
    fi
    echo "== w2 --pairs $pairs --messages $messages ${args[*]} ${extra[*]}"
    # The summary line (and the actions line, with W2_ARGS); everything goes to $OUT.
    "$BIN/tidings-bench" --servers "http://127.0.0.1:$PORT" --server-pids "$server" --timeout 400 \
        w2 --pairs "$pairs" --messages "$messages" "${args[@]}" "${extra[@]}" | tee -a "$OUT" | grep '^W2'
    kill "$server"; wait "$server" 2>/dev/null || true
done
