# Sourced by bench/matrix.sh and bench/cluster.sh: the server settings every benchmark run uses
# (docs/benchmarks.md: limits out of the way, cheap password hashing for the logins), and the
# machine's fsync time, printed before the runs it stands beside.
export TIDINGS_LIMITS__SEND_PER_SEC=1000000 TIDINGS_LIMITS__SEND_BURST=1000000 \
       TIDINGS_GATEWAY__AUTH_PER_SEC=1000000 TIDINGS_GATEWAY__AUTH_BURST=1000000 \
       TIDINGS_LIMITS__SEARCH_PER_SEC=1000000 TIDINGS_LIMITS__SEARCH_BURST=1000000 \
       TIDINGS_AUTH__ARGON2_MEMORY_KIB=1024 TIDINGS_AUTH__ARGON2_ITERATIONS=1

# The server binary the scripts start: $SERVER_BIN, by default this checkout's release build.
# Set it to measure another build with the same settings, e.g. an older commit's server (not
# named TIDINGS_*: the server refuses any TIDINGS_ variable that is not one of its settings):
#   SERVER_BIN=/work/bench-bin/tidings-853af07 bash bench/matrix.sh 1000:w10
SERVER_BIN="${SERVER_BIN:-${CARGO_TARGET_DIR:-target}/release/tidings}"
[ -x "$SERVER_BIN" ] || { echo "no server binary at $SERVER_BIN (build it, or set SERVER_BIN)" >&2; exit 2; }
echo "server: $SERVER_BIN"

# Prints how long 2,000 synchronous 4 KiB writes take in directory $1.
print_fsync_time() {
    (cd "$1" && dd if=/dev/zero of=f bs=4k count=2000 oflag=dsync 2>&1 | tail -1 | sed 's/^/fsync (4 KiB x 2000, dsync): /'
     rm -f f)
}
