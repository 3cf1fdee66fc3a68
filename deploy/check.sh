#!/usr/bin/env bash
# Validates what can be validated without a Docker engine:
#   - nginx/tidings.conf with `nginx -t` (installs nginx-light via apt when missing and root),
#   - swarm/stack.yml and prometheus/prometheus.yml structurally (check_stack.py, PyYAML),
#   - swarm/stack.yml against the compose schema with `docker stack config` (when the docker
#     client is installed; it needs no daemon),
#   - docker-entrypoint.sh: `sh -n`, then a run against a stub `tidings` and stub secret files,
#   - Dockerfile: stages, health check, non-root user, the files it copies.
# It does not build the image or deploy the stack. One line per check; exits 1 if any failed.
#
# Usage: bash deploy/check.sh   (from any directory)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
DEPLOY_DIR=$(pwd -P)

failures=0
ok() { printf 'ok   %s\n' "$1"; }
fail() {
    printf 'FAIL %s\n' "$1"
    failures=$((failures + 1))
}
skip() { printf 'skip %s\n' "$1"; }
indent() { sed 's/^/     | /'; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# ---- nginx ------------------------------------------------------------------------------------
echo "-- nginx/tidings.conf"
find_nginx() {
    command -v nginx 2>/dev/null || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true
}
install_nginx() {
    # Keep the package's postinst from starting a daemon (a policy-rc.d that refuses all
    # starts, removed again unless one was there before).
    local policy=/usr/sbin/policy-rc.d added=""
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && added=1
    fi
    local rc=0
    apt-get update -qq >/dev/null || rc=$?
    if [ "$rc" -eq 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null 2>&1 \
            || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null 2>&1 \
            || rc=$?
    fi
    [ -z "$added" ] || rm -f "$policy"
    return "$rc"
}
NGINX=$(find_nginx)
if [ -z "$NGINX" ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
        echo "     (installing nginx-light with apt-get)"
        install_nginx || true
        NGINX=$(find_nginx)
    fi
fi
if [ -z "$NGINX" ]; then
    fail "nginx is available (not on PATH; run as root with apt-get, or install nginx)"
else
    ok "nginx is available ($("$NGINX" -v 2>&1 | sed 's/^nginx version: //'))"
    # -e: the error log before the config is read (no root-owned /var/log path needed);
    # -g: a pid path under the temp dir, in case the config is run rather than only tested.
    nginx_test() { "$NGINX" -t -e stderr -g "pid $work/nginx.pid;" -c "$1" 2>&1; }
    if out=$(nginx_test "$DEPLOY_DIR/nginx/tidings.conf"); then
        ok "nginx -t accepts nginx/tidings.conf"
    elif printf '%s\n' "$out" | grep -q 'bind() to .* failed'; then
        # `nginx -t` binds the listen ports: port 80 needs root and must be free. Test a copy
        # that listens on a free high port on loopback instead; everything else is unchanged.
        sed -E 's/^([[:space:]]*listen[[:space:]]+)80([[:space:];])/\1127.0.0.1:18080\2/' \
            nginx/tidings.conf >"$work/tidings.conf"
        if out=$(nginx_test "$work/tidings.conf"); then
            ok "nginx -t accepts nginx/tidings.conf (port 80 not bindable here; tested on 18080)"
        else
            fail "nginx -t accepts nginx/tidings.conf"
            printf '%s\n' "$out" | indent
        fi
    else
        fail "nginx -t accepts nginx/tidings.conf"
        printf '%s\n' "$out" | indent
    fi
fi
conf=nginx/tidings.conf
grep -Eq 'proxy_set_header[[:space:]]+Upgrade[[:space:]]+\$http_upgrade' "$conf" \
    && grep -Eq 'proxy_set_header[[:space:]]+Connection[[:space:]]+\$connection_upgrade' "$conf" \
    && ok "nginx forwards the WebSocket upgrade on /ws" || fail "nginx forwards the WebSocket upgrade on /ws"
grep -Eq '^[[:space:]]*resolver[[:space:]]+127\.0\.0\.11' "$conf" && grep -Eq 'proxy_pass[[:space:]]+http://\$' "$conf" \
    && ok "nginx resolves the backend at request time (Docker DNS)" \
    || fail "nginx resolves the backend at request time (Docker DNS)"
grep -Eq 'location[[:space:]]+=[[:space:]]*/metrics' "$conf" \
    && ok "nginx hides /metrics" || fail "nginx hides /metrics"
grep -Ev '^[[:space:]]*#' "$conf" | grep -Eq '\b(ip_hash|sticky|hash[[:space:]]+\$)' \
    && fail "nginx uses no sticky sessions" || ok "nginx uses no sticky sessions"

# ---- stack and prometheus ---------------------------------------------------------------------
echo "-- python: swarm/stack.yml, prometheus/prometheus.yml"
PYTHON=$(command -v python3 || true)
if [ -z "$PYTHON" ]; then
    fail "python3 is available"
else
    if ! "$PYTHON" -c 'import yaml' 2>/dev/null; then
        echo "     (installing PyYAML with pip)"
        "$PYTHON" -m pip install -q --disable-pip-version-check pyyaml >/dev/null 2>&1 || true
    fi
    if "$PYTHON" -c 'import yaml' 2>/dev/null; then
        ok "PyYAML is importable"
        if "$PYTHON" check_stack.py swarm/stack.yml prometheus/prometheus.yml >"$work/stack.out" 2>&1; then
            cat "$work/stack.out"
        else
            cat "$work/stack.out"
            grep -q '^FAIL' "$work/stack.out" || fail "check_stack.py ran (it crashed)"
            failures=$((failures + $(grep -c '^FAIL' "$work/stack.out" || true)))
        fi
    else
        fail "PyYAML is importable (pip install pyyaml failed)"
    fi
fi

echo "-- docker stack config (compose schema)"
if command -v docker >/dev/null; then
    if out=$(docker stack config -c swarm/stack.yml 2>&1 >/dev/null); then
        ok "docker stack config accepts swarm/stack.yml"
    else
        fail "docker stack config accepts swarm/stack.yml"
        printf '%s\n' "$out" | indent
    fi
else
    skip "docker stack config (no docker client)"
fi

# ---- entrypoint -------------------------------------------------------------------------------
echo "-- docker-entrypoint.sh"
if out=$(sh -n docker-entrypoint.sh 2>&1); then
    ok "sh -n docker-entrypoint.sh"
else
    fail "sh -n docker-entrypoint.sh"
    printf '%s\n' "$out" | indent
fi
grep -q '^set -eu' docker-entrypoint.sh && ok "entrypoint runs with set -eu" || fail "entrypoint runs with set -eu"
# Run it for real against a stub `tidings` that prints its arguments and TIDINGS_* variables.
mkdir -p "$work/bin"
printf '#!/bin/sh\necho "args: $*"\nenv | grep "^TIDINGS_" | sort\n' >"$work/bin/tidings"
chmod +x "$work/bin/tidings"
printf 'p@ss:w/rd%%\n' >"$work/db_password"
printf 'amqp-secret\n' >"$work/amqp_password"
printf 'c2lnbmluZy1rZXktc2lnbmluZy1rZXktc2lnbmluZy1rZXk=\n' >"$work/signing_key"
if out=$(env -i PATH="$work/bin:/usr/bin:/bin" \
    TIDINGS_DATABASE_URL='mysql://tidings@mariadb:3306/tidings' \
    TIDINGS_AMQP_URL='amqp://tidings@rabbitmq:5672/%2f' \
    TIDINGS_DB_PASSWORD_FILE="$work/db_password" \
    TIDINGS_AMQP_PASSWORD_FILE="$work/amqp_password" \
    TIDINGS_SIGNING_KEY_FILE="$work/signing_key" \
    sh docker-entrypoint.sh 2>&1); then
    expect() {
        if printf '%s\n' "$out" | grep -qxF -- "$1"; then ok "entrypoint: $2"; else
            fail "entrypoint: $2 (expected line: $1)"
            printf '%s\n' "$out" | indent
        fi
    }
    expect 'args: serve' "runs \`tidings serve\` by default"
    expect 'TIDINGS_DATABASE_URL=mysql://tidings:p%40ss%3Aw%2Frd%25@mariadb:3306/tidings' \
        "puts the percent-encoded DB password into TIDINGS_DATABASE_URL"
    expect 'TIDINGS_AMQP_URL=amqp://tidings:amqp-secret@rabbitmq:5672/%2f' \
        "puts the AMQP password into TIDINGS_AMQP_URL"
    expect 'TIDINGS_SIGNING_KEY=c2lnbmluZy1rZXktc2lnbmluZy1rZXktc2lnbmluZy1rZXk=' \
        "exports TIDINGS_SIGNING_KEY from its file"
    if printf '%s\n' "$out" | grep -q '^TIDINGS_.*_FILE='; then
        fail "entrypoint: removes the *_FILE variables (tidings rejects unknown TIDINGS_* keys)"
    else
        ok "entrypoint: removes the *_FILE variables (tidings rejects unknown TIDINGS_* keys)"
    fi
else
    fail "entrypoint runs against a stub tidings"
    printf '%s\n' "$out" | indent
fi
if env -i PATH="$work/bin:/usr/bin:/bin" TIDINGS_SIGNING_KEY_FILE="$work/missing" \
    sh docker-entrypoint.sh >/dev/null 2>&1; then
    fail "entrypoint refuses a *_FILE that does not exist"
else
    ok "entrypoint refuses a *_FILE that does not exist"
fi

# ---- Dockerfile -------------------------------------------------------------------------------
echo "-- Dockerfile"
df=Dockerfile
from_count=$(grep -Eci '^[[:space:]]*FROM[[:space:]]' "$df" || true)
[ "$from_count" -ge 2 ] && ok "Dockerfile is multi-stage ($from_count FROM lines)" \
    || fail "Dockerfile is multi-stage (found $from_count FROM lines)"
grep -Eqi '^[[:space:]]*HEALTHCHECK[[:space:]]' "$df" && ok "Dockerfile has a HEALTHCHECK" \
    || fail "Dockerfile has a HEALTHCHECK"
last_user=$(grep -Ei '^[[:space:]]*USER[[:space:]]' "$df" | tail -n 1 | awk '{print $2}')
case "${last_user%%:*}" in
    '' | root | 0) fail "Dockerfile runs as a non-root user (USER: '${last_user}')" ;;
    *) ok "Dockerfile runs as a non-root user ($last_user)" ;;
esac
grep -Eq 'cargo build .*--release' "$df" && grep -Eq 'cargo build .*--locked' "$df" \
    && ok "Dockerfile builds with --release --locked" || fail "Dockerfile builds with --release --locked"
grep -Eq -- '--mount=type=cache' "$df" && ok "Dockerfile uses BuildKit cache mounts" \
    || fail "Dockerfile uses BuildKit cache mounts"
grep -Eq '^[[:space:]]*EXPOSE[[:space:]]+8080' "$df" && ok "Dockerfile exposes 8080" || fail "Dockerfile exposes 8080"
# Files the Dockerfile COPYs from the context (the repository root) must be in deploy/.
while read -r src; do
    [ -e "$DEPLOY_DIR/${src#deploy/}" ] && ok "Dockerfile COPY source exists: $src" \
        || fail "Dockerfile COPY source exists: $src"
done < <(grep -Eo '^[[:space:]]*COPY[[:space:]].*deploy/[^[:space:]]+' "$df" | grep -Eo 'deploy/[^[:space:]]+' | sort -u)
[ -f Dockerfile.dockerignore ] && grep -qx 'target' Dockerfile.dockerignore && grep -qx '.git' Dockerfile.dockerignore \
    && ok "Dockerfile.dockerignore excludes target and .git" \
    || fail "Dockerfile.dockerignore excludes target and .git"

echo
if [ "$failures" -eq 0 ]; then
    echo "deploy check passed"
else
    echo "deploy check FAILED: $failures check(s)"
    exit 1
fi
