# Sourced by bench/matrix.sh and bench/cluster.sh: the server settings every benchmark run uses
# (docs/benchmarks.md: limits out of the way, cheap password hashing for the logins), and the
# machine's fsync time, printed before the runs it stands beside.
export TIDINGS_LIMITS__SEND_PER_SEC=1000000 TIDINGS_LIMITS__SEND_BURST=1000000 \
       TIDINGS_GATEWAY__AUTH_PER_SEC=1000000 TIDINGS_GATEWAY__AUTH_BURST=1000000 \
       TIDINGS_AUTH__ARGON2_MEMORY_KIB=1024 TIDINGS_AUTH__ARGON2_ITERATIONS=1

# Prints how long 2,000 synchronous 4 KiB writes take in directory $1.
print_fsync_time() {
    (cd "$1" && dd if=/dev/zero of=f bs=4k count=2000 oflag=dsync 2>&1 | tail -1 | sed 's/^/fsync (4 KiB x 2000, dsync): /'
     rm -f f)
}
