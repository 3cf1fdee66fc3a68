#!/usr/bin/env bash
# Issue 26, "a million connections": INSTANCES cluster instances (MariaDB, Redis, RabbitMQ on
# this machine) and GENERATORS load generators, each generator holding PER_GEN authenticated,
# heartbeating connections spread over SPREAD instances. The holds are lined up (every
# generator connects, then all hold together for HOLD seconds) while DELIVERIES messages/s in
# all go to randomly chosen connected users (sender and target in one generator, on different
# instances two times in three, so through RabbitMQ). Memory (every process class, the kernel's
# slab, the TCP sockets' pages), CPU per process class and the machine's state are sampled
# every SAMPLE seconds; a summary with memory per connection and the ceilings they project
# closes the run.
#
#   cargo build --release -p tidings-interfaces -p tidings-bench
#   bash bench/million.sh                                           # 50 x 19,500 = 975,000
#   INSTANCES=6 GENERATORS=6 PER_GEN=10000 HOLD=60 bash bench/million.sh
#
# Settings (environment; defaults in brackets): INSTANCES [50], GENERATORS [INSTANCES],
# PER_GEN [19500: the 20,000 open files a process may have, less a margin for the rest],
# SPREAD [3 instances per generator], HOLD [300 s], DELIVERIES [1000 msgs/s over all; 0: none],
# SENDERS [16 per generator], GRACE [5 s], DEVICES_PER_USER [1], PARALLEL [128 connects at once
# per generator], HEARTBEAT [20s], IDLE_TIMEOUT [60s], ROUTE_TTL [60s] (the server's defaults,
# set here so a run can vary them), DB_POOL [4], REDIS_POOL [2], SAMPLE [10 s], SETTLE [10 s
# between the last generator ready and the start of the hold], PORT_BASE
# [20000: instance i listens on PORT_BASE+i], OUT [million-<date>/], SERVER_BIN and BENCH_BIN
# [this checkout's release builds].
#
# What it changes on the machine, only when the run needs it, and puts back at exit: MariaDB's
# max_connections, Redis's maxclients, and (as root, where /proc/sys is writable) fs.file-max and
# nf_conntrack_max. The open-files limit is raised to the hard limit for this shell and what it
# starts. Each run has its own database, Redis prefix and queue names, all removed at exit.
# Loopback only; every process it starts is bounded in time (--timeout) and killed at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
INSTANCES="${INSTANCES:-50}"
GENERATORS="${GENERATORS:-$INSTANCES}"
PER_GEN="${PER_GEN:-19500}"
SPREAD="${SPREAD:-3}"
HOLD="${HOLD:-300}"
DELIVERIES="${DELIVERIES:-1000}"
SENDERS="${SENDERS:-16}"
GRACE="${GRACE:-5}"
DEVICES_PER_USER="${DEVICES_PER_USER:-1}"
PARALLEL="${PARALLEL:-128}"
DB_POOL="${DB_POOL:-4}"
REDIS_POOL="${REDIS_POOL:-2}"
SAMPLE="${SAMPLE:-10}"
SETTLE="${SETTLE:-10}"
PORT_BASE="${PORT_BASE:-20000}"
OUT="${OUT:-million-$(date +%Y%m%d-%H%M%S)}"
BENCH_BIN="${BENCH_BIN:-${CARGO_TARGET_DIR:-target}/release/tidings-bench}"
# Logins and connects take their time at this scale; the hold comes on top.
TIMEOUT="${TIMEOUT:-$((HOLD + 3600))}"
[ "$SPREAD" -le "$INSTANCES" ] || SPREAD="$INSTANCES"
TOTAL=$((GENERATORS * PER_GEN))

mkdir -p "$OUT"
scratch="$(mktemp -d)"
run="mil$$_$RANDOM"
mysql=(mysql -h127.0.0.1 -uroot)
instance_pids=()
generator_pids=()
restore=()
log() { printf '%s %s\n' "$(date +%T)" "$*" | tee -a "$OUT/summary.txt"; }

cleanup() {
    set +e
    kill "${sampler:-}" "${generator_pids[@]}" 2>/dev/null
    kill "${instance_pids[@]}" 2>/dev/null
    wait 2>/dev/null
    cluster_run_cleanup "$run"
    for cmd in "${restore[@]}"; do
        echo "restoring: $cmd"
        eval "$cmd"
    done
    rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

source bench/common.sh
[ -x "$BENCH_BIN" ] || { echo "no load generator at $BENCH_BIN (build it, or set BENCH_BIN)" >&2; exit 2; }

# --- Where each generator connects, and whether every process stays within its open files ---
ulimit -n "$(ulimit -Hn)"
FILES="$(ulimit -n)"
declare -a load
for ((i = 0; i < INSTANCES; i++)); do load[i]=0; done
generator_servers() { # g -> the instances (0-based) it spreads over
    local first=$(($1 * INSTANCES / GENERATORS)) j
    for ((j = 0; j < SPREAD; j++)); do echo $(((first + j) % INSTANCES)); done
}
for ((g = 0; g < GENERATORS; g++)); do
    for i in $(generator_servers "$g"); do load[i]=$((load[i] + (PER_GEN + SPREAD - 1) / SPREAD)); done
done
max_load=$(printf '%s\n' "${load[@]}" | sort -n | tail -1)
log "run $run: $INSTANCES instances, $GENERATORS generators x $PER_GEN connections = $TOTAL over $SPREAD instances each (at most $max_load on one instance); hold ${HOLD}s; deliveries ${DELIVERIES}/s; $DEVICES_PER_USER device(s) per user; open files per process: $FILES"
if ((PER_GEN + 200 > FILES || max_load + 200 > FILES)); then
    echo "a process would need more than its $FILES open files: lower PER_GEN, or raise INSTANCES" >&2
    exit 2
fi

# --- The kernel: what a run of this size needs, raised where we may (and put back) ---
sysctl_get() { cat "/proc/sys/$(tr . / <<<"$1")" 2>/dev/null | tr -s '\t ' ' '; }
raise_sysctl() { # name needed: raise a one-number sysctl to `needed` if lower and writable
    local now; now="$(sysctl_get "$1")"
    [ -n "$now" ] || { log "kernel: $1 not present"; return; }
    if ((now >= $2)); then return; fi
    if sysctl -qw "$1=$2" 2>/dev/null; then
        restore+=("sysctl -qw $1=$now")
        log "kernel: raised $1 from $now to $2 (put back at exit)"
    else
        log "kernel: $1 is $now, below the $2 this run needs, and cannot be raised here (uid $(id -u)): expect the run to stop near it"
    fi
}
ports=$(sysctl_get net.ipv4.ip_local_port_range)
log "kernel: ip_local_port_range $ports (the generators bind 200 source addresses 127.0.0.1-200: $((TOTAL / 200 + 1)) ports each); somaxconn $(sysctl_get net.core.somaxconn); tcp_mem $(sysctl_get net.ipv4.tcp_mem) pages (min pressure max); fs.file-max $(sysctl_get fs.file-max); fs.nr_open $(sysctl_get fs.nr_open); vm.max_map_count $(sysctl_get vm.max_map_count); nf_conntrack $(sysctl_get net.netfilter.nf_conntrack_count)/$(sysctl_get net.netfilter.nf_conntrack_max)"
read -r port_lo port_hi <<<"$ports"
((TOTAL / 200 + 1 < port_hi - port_lo)) || log "kernel: too few local ports per source address for $TOTAL connections"
# Both ends of every connection are open files, plus what everything else holds.
raise_sysctl fs.file-max $((2 * TOTAL + 100000))
# Loopback connections count against conntrack only where it tracks (count above 0).
if [ "$(sysctl_get net.netfilter.nf_conntrack_count)" != "" ] && [ "$(sysctl_get net.netfilter.nf_conntrack_count)" -gt 0 ]; then
    raise_sysctl net.netfilter.nf_conntrack_max $((TOTAL + 100000))
fi

# --- The services: MariaDB and Redis connection limits for INSTANCES pools; RabbitMQ's ---
need_db=$((INSTANCES * DB_POOL + 20))
db_max=$("${mysql[@]}" -N -e 'SELECT @@max_connections')
if ((db_max < need_db)); then
    "${mysql[@]}" -e "SET GLOBAL max_connections = $need_db"
    restore+=("${mysql[*]} -e 'SET GLOBAL max_connections = $db_max'")
    log "mariadb: max_connections $db_max -> $need_db (put back at exit)"
else
    log "mariadb: max_connections $db_max (this run needs $need_db)"
fi
need_redis=$((INSTANCES * (REDIS_POOL + 2) + 50))
redis_max=$(redis-cli config get maxclients | tail -1)
if ((redis_max < need_redis)); then
    redis-cli config set maxclients "$need_redis" >/dev/null
    restore+=("redis-cli config set maxclients $redis_max >/dev/null")
    log "redis: maxclients $redis_max -> $need_redis (put back at exit)"
else
    log "redis: maxclients $redis_max (this run needs $need_redis)"
fi
rabbit_limits=$(rabbitmqctl environment 2>/dev/null | grep -oE '\{(connection_max|channel_max),[a-z0-9]+\}' | tr '\n' ' ' || true)
log "rabbitmq: one connection per instance ($INSTANCES in all); limits ${rabbit_limits:-unknown} (nothing to raise)"

# --- The instances: one worker thread each, small pools, the heartbeat and route timings ---
cluster_run_env "$run"
export TIDINGS_WORKERS=1 TIDINGS_DB__MAX_CONNECTIONS="$DB_POOL" TIDINGS_CLUSTER__REDIS_POOL_SIZE="$REDIS_POOL" \
       TIDINGS_WS__HEARTBEAT="${HEARTBEAT:-20s}" TIDINGS_WS__IDLE_TIMEOUT="${IDLE_TIMEOUT:-60s}" \
       TIDINGS_CLUSTER__ROUTE_TTL="${ROUTE_TTL:-60s}"
start_instance() {
    TIDINGS_INSTANCE_ID="m$1" TIDINGS_HTTP_ADDR="127.0.0.1:$((PORT_BASE + $1))" TIDINGS_DATA_DIR="$scratch/m$1" \
        "$SERVER_BIN" >"$OUT/instance.$1.log" 2>&1 &
    instance_pids[$1]=$!
}
wait_ready() {
    for _ in $(seq 600); do curl -sf "http://127.0.0.1:$((PORT_BASE + $1))/readyz" >/dev/null && return 0; sleep 0.1; done
    echo "instance $1 not ready" >&2
    exit 1
}
start_utc="$(date -u +%Y-%m-%dT%H:%M:%S)"
start_instance 0 # it migrates the new database
wait_ready 0
for ((i = 1; i < INSTANCES; i++)); do start_instance "$i"; done
for ((i = 1; i < INSTANCES; i++)); do wait_ready "$i"; done
log "instances ready on 127.0.0.1:$((PORT_BASE))..$((PORT_BASE + INSTANCES - 1))"

# --- Sampling: CPU ticks, RSS per process class; the kernel's memory and TCP sockets ---
pids_of() { pgrep -x "$1" | tr '\n' ' '; }
classes=(instances generators mariadb redis rabbitmq)
class_pids() {
    case "$1" in
    instances) echo "${instance_pids[*]}" ;;
    generators) cat "$scratch/generator.pids" 2>/dev/null || true ;;
    mariadb) pids_of mariadbd ;;
    redis) pids_of redis-server ;;
    rabbitmq) pids_of beam.smp ;;
    esac
}
# One line of numbers: for each class its CPU ticks and RSS (KiB); then the machine's busy and
# total ticks, MemAvailable, Slab and SUnreclaim (KiB), TCP sockets in use and their pages.
reading() {
    local c p stats statuses
    for c in "${classes[@]}"; do
        stats=() statuses=()
        for p in $(class_pids "$c"); do stats+=("/proc/$p/stat") statuses+=("/proc/$p/status"); done
        # utime + stime: fields 14 and 15, counted after the name (which may hold spaces).
        cat "${stats[@]}" </dev/null 2>/dev/null | awk '{ sub(/^.*\) /, ""); t += $12 + $13 } END { printf "%d ", t }'
        cat "${statuses[@]}" </dev/null 2>/dev/null | awk '/^VmRSS:/ { k += $2 } END { printf "%d ", k }'
    done
    awk '/^cpu / { b = $2 + $3 + $4 + $7 + $8 + $9; printf "%d %d ", b, b + $5 + $6 }' /proc/stat
    awk '/^(MemAvailable|Slab|SUnreclaim):/ { printf "%d ", $2 }' /proc/meminfo
    awk '/^TCP:/ { printf "%d %d\n", $3, $NF }' /proc/net/sockstat
}
hz=$(getconf CLK_TCK)
# Prints the CPU of each class (percent of one core) between two readings, and the second's state.
describe() { # previous-reading current-reading seconds
    awk -v hz="$hz" -v dt="$3" -v names="${classes[*]}" 'NR == 1 { for (i = 1; i <= NF; i++) a[i] = $i }
        NR == 2 { n = split(names, cls, " "); line = sprintf("cpu%%:");
            for (c = 1; c <= n; c++) { d = $(2 * c - 1) - a[2 * c - 1]; line = line sprintf(" %s %.0f", cls[c], (d > 0 ? d : 0) / hz / dt * 100) }
            m = 2 * n; line = line sprintf(" machine %.0f", ($(m + 1) - a[m + 1]) / ($(m + 2) - a[m + 2]) * 200);
            line = line " | rss MiB:";
            for (c = 1; c <= n; c++) line = line sprintf(" %s %.0f", cls[c], $(2 * c) / 1024);
            line = line sprintf(" | available %.0f MiB, slab %.0f MiB (unreclaimable %.0f), tcp sockets %d using %d pages",
                $(m + 3) / 1024, $(m + 4) / 1024, $(m + 5) / 1024, $(m + 6), $(m + 7));
            print line }' <(printf '%s\n%s\n' "$1" "$2")
}
baseline="$(reading)"
(
    prev="$baseline"
    while sleep "$SAMPLE"; do
        now="$(reading)"
        phase=connecting
        [ -e "$scratch/go" ] && phase=holding
        echo "$(date +%T) $phase $(describe "$prev" "$now" "$SAMPLE")" >>"$OUT/samples.txt"
        prev="$now"
    done
) &
sampler=$!

# --- The generators: log in, connect, say ready; hold together once all are ---
servers_of() { local s="" i; for i in $(generator_servers "$1"); do s+="${s:+,}http://127.0.0.1:$((PORT_BASE + i))"; done; echo "$s"; }
pids_for() { local s="" i; for i in $(generator_servers "$1"); do s+="${s:+,}${instance_pids[i]}"; done; echo "$s"; }
rate_each=$(awk -v r="$DELIVERIES" -v g="$GENERATORS" 'BEGIN { printf "%.3f", r / g }')
for ((g = 0; g < GENERATORS; g++)); do
    "$BENCH_BIN" --servers "$(servers_of "$g")" --server-pids "$(pids_for "$g")" --timeout "$TIMEOUT" w1 \
        --connections "$PER_GEN" --devices-per-user "$DEVICES_PER_USER" --hold "$HOLD" --parallel "$PARALLEL" \
        --deliveries-per-s "$rate_each" --senders "$SENDERS" --grace "$GRACE" --latencies-file "$OUT/latencies.$g" \
        --logged-in-file "$scratch/logged-in.$g" --connect-file "$scratch/connect" \
        --ready-file "$scratch/ready.$g" --go-file "$scratch/go" >"$OUT/generator.$g.out" 2>"$OUT/generator.$g.err" &
    generator_pids+=($!)
done
echo "${generator_pids[*]}" >"$scratch/generator.pids"
started=$SECONDS
# Every generator logs in first; nobody connects until all have, so the instances' memory read
# here is what the logins left, and what grows after it is the connections'.
wait_all() { # file-stem: until every live generator wrote it
    local done alive
    while :; do
        done=0 alive=0
        for ((g = 0; g < GENERATORS; g++)); do
            [ -e "$scratch/$1.$g" ] && done=$((done + 1))
            kill -0 "${generator_pids[g]}" 2>/dev/null && alive=$((alive + 1))
        done
        ((done == GENERATORS || done >= alive)) && return
        ((SECONDS - started < TIMEOUT)) || { log "generators did not all write $1 within ${TIMEOUT}s"; return; }
        sleep 1
    done
}
wait_all logged-in
log "every generator logged in after $((SECONDS - started))s; connecting"
at_logins="$(reading)"
touch "$scratch/connect"
wait_all ready
ready=$(ls "$scratch"/ready.* 2>/dev/null | wc -l)
opened=$(cat "$scratch"/ready.* 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
log "$ready of $GENERATORS generators ready after $((SECONDS - started))s: $opened connections open; the hold starts in ${SETTLE}s"
# The connect storm's aftermath (route writes, broker links of starved instances) settles first.
sleep "$SETTLE"
at_go="$(reading)"
go_utc="$(date -u +%Y-%m-%dT%H:%M:%S)"
touch "$scratch/go"
sleep $((HOLD > 3 ? HOLD - 3 : HOLD))
at_end="$(reading)"
end_utc="$(date -u +%Y-%m-%dT%H:%M:%S)"
log "the last seconds of the hold: $(describe "$at_go" "$at_end" $((HOLD > 3 ? HOLD - 3 : HOLD)))"
failed=0
for p in "${generator_pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
generator_pids=()
((failed == 0)) || log "$failed generator(s) failed: see $OUT/generator.*.err"

# --- The summary: connections held, memory per connection, deliveries, ceilings ---
python3 - "$OUT" "$TOTAL" "$baseline" "$at_logins" "$at_go" "$at_end" "${#classes[@]}" <<'EOF' | tee -a "$OUT/summary.txt"
import glob, json, sys
out, total, base, logins, go, end, n = sys.argv[1], int(sys.argv[2]), *(list(map(int, a.split())) for a in sys.argv[3:7]), int(sys.argv[7])
reports = []
for f in sorted(glob.glob(f"{out}/generator.*.out")):
    line = next((l for l in open(f) if l.startswith("{")), None)
    reports.append(json.loads(line) if line else None)
ok = [r for r in reports if r]
held = sum(r["open"] for r in ok)
print(f"held: {held:,} of {total:,} connections to the end of the hold ({sum(r['failed'] for r in ok)} failed to open; {len(reports) - len(ok)} generators gave no report)")
rss = lambda r, c: r[2 * c + 1]  # KiB of class c (0 instances, 1 generators)
m = 2 * n
per = lambda kib: kib * 1024 / max(held, 1)
inst, gens = per(rss(end, 0) - rss(logins, 0)), per(rss(end, 1))
inst_all = per(rss(end, 0) - rss(base, 0))
slab = per(end[m + 3] - base[m + 3])
services = per(sum(rss(end, c) - rss(base, c) for c in (2, 3, 4)))
used = per(base[m + 2] - end[m + 2])
print(f"memory per held connection: instances {inst:,.0f} B (RSS growth from after the logins to the end of the hold; "
      f"{inst_all:,.0f} B counting the logins; {rss(end, 0) / 1024:,.0f} MiB in all), "
      f"generators {gens:,.0f} B ({rss(end, 1) / 1024:,.0f} MiB), kernel slab {slab:,.0f} B (both ends' sockets), "
      f"mariadb + redis + rabbitmq RSS growth {services:,.0f} B, "
      f"machine (MemAvailable drop) {used:,.0f} B; TCP buffers {end[m + 6]:,} pages")
ours = inst_all + gens + slab
if ours > 0:
    by_drop = f"{base[m + 2] * 1024 / used:,.0f}" if used > 0 else "none"
    print(f"memory ceiling: {base[m + 2] * 1024 / ours:,.0f} connections in the {base[m + 2] / 1048576:.1f} GiB available at start, "
          f"at {ours:,.0f} B each (instances + generators + kernel slab; by the MemAvailable drop, which counts whatever "
          f"else the machine did meanwhile: {by_drop})")
ticks = lambda r, c: r[2 * c]
busy = 200 * (end[m] - go[m]) / max(end[m + 1] - go[m + 1], 1)
names = ["instances", "generators", "mariadb", "redis", "rabbitmq"]
shares = {names[c]: 200 * (ticks(end, c) - ticks(go, c)) / max(end[m + 1] - go[m + 1], 1) for c in range(n)}
print("cpu during the hold (% of one core; the machine has 200): machine " + f"{busy:.0f}, " + ", ".join(f"{k} {v:.0f}" for k, v in shares.items()))
run_cpu = sum(shares.values())
if run_cpu > 0 and held:
    print(f"cpu ceiling: this run's processes used {run_cpu:.0f} % during the hold; at that cost per held connection "
          f"(heartbeats, route refreshes and deliveries together) both cores would be busy at {held * 200 / run_cpu:,.0f} connections")
d = [r["deliveries"] for r in ok if r.get("deliveries")]
if d:
    s = lambda k: sum(x[k] for x in d)
    lat = sorted(int(v) for f in glob.glob(f"{out}/latencies.*") for v in open(f) if v.strip())
    q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] / 1000 if lat else 0
    window = max(x["send_window_s"] for x in d)
    print(f"deliveries: {s('sent'):,} sent, {s('acked'):,} acked, {s('refused')} refused, {s('delivered'):,} delivered "
          f"({s('delivered') / max(window, 1e-9):,.0f}/s), {s('lost')} lost, {s('unanswered')} unanswered, {s('duplicated')} duplicated; "
          f"latency p50 {q(0.5):.1f} ms, p99 {q(0.99):.1f} ms, p999 {q(0.999):.1f} ms, max {lat[-1] / 1000 if lat else 0:.1f} ms")
EOF
# What the instances complained about, by kind (the fields left out), before and during the
# hold: a route write that failed while connecting leaves its device unreachable until the
# instance's next route refresh, which shows as lost deliveries early in the hold.
warnings() { # from to (UTC, as the logs write it)
    sed 's/\x1b\[[0-9;]*m//g' "$OUT"/instance.*.log | awk -v a="$1" -v b="$2" '$1 >= a && $1 < b && / (WARN|ERROR) /' \
        | sed -E 's/^[^ ]+ +//; s/ [a-z_]+=.*//' | cut -c1-160 | sort | uniq -c | sort -rn | head -8
}
show_warnings() { # phase from to
    warnings "$2" "$3" >"$scratch/warnings"
    if [ -s "$scratch/warnings" ]; then
        log "the instances' warnings while $1:"
        sed 's/^/  /' "$scratch/warnings" | tee -a "$OUT/summary.txt"
    fi
}
show_warnings "starting, logging in and connecting" "$start_utc" "$go_utc"
show_warnings "holding" "$go_utc" "$end_utc"
tail -3 "$OUT/samples.txt" 2>/dev/null | sed 's/^/sample: /'
echo "figures: $OUT/ (summary.txt, samples.txt, generator.*.out with each generator's JSON line)"
