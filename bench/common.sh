# Sourced by bench/matrix.sh, bench/cluster.sh and bench/million.sh: the server settings every
# benchmark run uses (docs/benchmarks.md: limits out of the way, cheap password hashing for the
# logins), the machine's fsync time, printed before the runs it stands beside, and a cluster
# run's own database, Redis prefix and queue names, and their removal.
export TIDINGS_LIMITS__SEND_PER_SEC=1000000 TIDINGS_LIMITS__SEND_BURST=1000000 \
       TIDINGS_GATEWAY__AUTH_PER_SEC=1000000 TIDINGS_GATEWAY__AUTH_BURST=1000000 \
       TIDINGS_LIMITS__SEARCH_PER_SEC=1000000 TIDINGS_LIMITS__SEARCH_BURST=1000000 \
       TIDINGS_AUTH__ARGON2_MEMORY_KIB=1024 TIDINGS_AUTH__ARGON2_ITERATIONS=1

# Prints how long 2,000 synchronous 4 KiB writes take in directory $1.
print_fsync_time() {
    (cd "$1" && dd if=/dev/zero of=f bs=4k count=2000 oflag=dsync 2>&1 | tail -1 | sed 's/^/fsync (4 KiB x 2000, dsync): /'
     rm -f f)
}

# Creates database $1 and exports the settings that put the instances started after it on that
# database, the local Redis and RabbitMQ, with $1 as their key and queue prefix and one shared
# signing key. $2, if given, is the database URL's query.
cluster_run_env() {
    mysql -h127.0.0.1 -uroot -e "CREATE DATABASE $1"
    export TIDINGS_LOG="${TIDINGS_LOG:-warn}" \
           TIDINGS_DATABASE_URL="mysql://root@127.0.0.1:3306/$1${2:+?$2}" \
           TIDINGS_REDIS_URL=redis://127.0.0.1:6379 TIDINGS_AMQP_URL=amqp://guest:guest@127.0.0.1:5672/%2f \
           TIDINGS_CLUSTER__REDIS_PREFIX="$1:" TIDINGS_CLUSTER__AMQP_PREFIX="$1." \
           TIDINGS_SIGNING_KEY="$(head -c 32 /dev/urandom | base64)"
}

# Removes what cluster_run_env's run $1 left: its database (unless KEEP is set), its Redis keys,
# and any queue of its instances still there (each is exclusive to its instance's connection, so
# normally gone with it).
cluster_run_cleanup() {
    if [ -z "${KEEP:-}" ]; then mysql -h127.0.0.1 -uroot -e "DROP DATABASE IF EXISTS $1" || true; else echo "kept database $1"; fi
    redis-cli --scan --pattern "$1:*" | xargs -r -n 1000 redis-cli unlink >/dev/null || true
    rabbitmqctl -q list_queues name 2>/dev/null | grep "^$1\." | while read -r q; do
        rabbitmqctl -q delete_queue "$q" >/dev/null 2>&1 || true
    done || true
}

# The server binary the scripts start: $SERVER_BIN, by default this checkout's release build.
# Set it to measure another build with the same settings, e.g. an older commit's server (not
# named TIDINGS_*: the server refuses any TIDINGS_ variable that is not one of its settings):
#   SERVER_BIN=/work/bench-bin/tidings-853af07 bash bench/matrix.sh 1000:w10
SERVER_BIN="${SERVER_BIN:-${CARGO_TARGET_DIR:-target}/release/tidings}"
[ -x "$SERVER_BIN" ] || { echo "no server binary at $SERVER_BIN (build it, or set SERVER_BIN)" >&2; exit 2; }
echo "server: $SERVER_BIN"
