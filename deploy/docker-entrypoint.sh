#!/bin/sh
# Entrypoint of the tidings image. tidings reads its settings from TIDINGS_* variables only, so
# this script turns Docker secrets (files) into those variables, then execs the server.
#
#   TIDINGS_SIGNING_KEY   <- $TIDINGS_SIGNING_KEY_FILE   or /run/secrets/tidings_signing_key
#   TIDINGS_DATABASE_URL  gets the password from
#                            $TIDINGS_DB_PASSWORD_FILE   or /run/secrets/tidings_db_password
#   TIDINGS_AMQP_URL      gets the password from
#                            $TIDINGS_AMQP_PASSWORD_FILE or /run/secrets/tidings_amqp_password
#
# Give the URLs without a password (mysql://tidings@mariadb:3306/tidings); the password from the
# file is percent-encoded and put in (replacing one already in the URL). A URL that is unset stays
# unset, whatever files exist. The *_FILE variables are removed before tidings starts: its settings
# reject unknown TIDINGS_* variables.
set -eu

fail() {
    echo "docker-entrypoint: $*" >&2
    exit 1
}

# secret_file VAR DEFAULT: the file named by $VAR (which must be readable), else DEFAULT if it
# is readable, else nothing.
secret_file() {
    eval "explicit=\${$1:-}"
    if [ -n "$explicit" ]; then
        [ -r "$explicit" ] || fail "$1=$explicit is not a readable file"
        printf '%s' "$explicit"
    elif [ -r "$2" ]; then
        printf '%s' "$2"
    fi
}

# urlencode STRING: percent-encode every byte outside RFC 3986's unreserved set.
urlencode() {
    printf '%s' "$1" | od -An -v -tx1 | tr -s ' \n' '\n\n' | while read -r hex; do
        case $hex in
            '') ;;
            3[0-9] | 4[1-9a-f] | 5[0-9a] | 6[1-9a-f] | 7[0-9a] | 2d | 2e | 5f | 7e)
                # shellcheck disable=SC2059 # the format is an octal escape built on purpose
                printf "\\$(printf '%03o' "0x$hex")" ;;
            *) printf '%%%s' "$hex" | tr 'a-f' 'A-F' ;;
        esac
    done
}

# with_password NAME URL PASSWORD: URL (scheme://user[:old]@rest) with PASSWORD as its password.
with_password() {
    case $2 in
        *://*@*) ;;
        *) fail "$1 must look like scheme://user@host/... to take a password from a secret" ;;
    esac
    scheme=${2%%://*}
    rest=${2#*://}
    userinfo=${rest%%@*}
    printf '%s://%s:%s@%s' "$scheme" "${userinfo%%:*}" "$(urlencode "$3")" "${rest#*@}"
}

if [ -n "${TIDINGS_SIGNING_KEY_FILE:-}" ] && [ -n "${TIDINGS_SIGNING_KEY:-}" ]; then
    fail "set TIDINGS_SIGNING_KEY or TIDINGS_SIGNING_KEY_FILE, not both"
fi
file=$(secret_file TIDINGS_SIGNING_KEY_FILE /run/secrets/tidings_signing_key)
if [ -n "$file" ]; then
    TIDINGS_SIGNING_KEY=$(cat "$file")
    [ -n "$TIDINGS_SIGNING_KEY" ] || fail "$file is empty"
    export TIDINGS_SIGNING_KEY
fi

file=$(secret_file TIDINGS_DB_PASSWORD_FILE /run/secrets/tidings_db_password)
if [ -n "$file" ] && [ -n "${TIDINGS_DATABASE_URL:-}" ]; then
    TIDINGS_DATABASE_URL=$(with_password TIDINGS_DATABASE_URL "$TIDINGS_DATABASE_URL" "$(cat "$file")")
    export TIDINGS_DATABASE_URL
fi

file=$(secret_file TIDINGS_AMQP_PASSWORD_FILE /run/secrets/tidings_amqp_password)
if [ -n "$file" ] && [ -n "${TIDINGS_AMQP_URL:-}" ]; then
    TIDINGS_AMQP_URL=$(with_password TIDINGS_AMQP_URL "$TIDINGS_AMQP_URL" "$(cat "$file")")
    export TIDINGS_AMQP_URL
fi

unset TIDINGS_SIGNING_KEY_FILE TIDINGS_DB_PASSWORD_FILE TIDINGS_AMQP_PASSWORD_FILE file

# No arguments or `serve ...`: the server. Options alone go to `serve`, except the top-level
# help/version flags. Anything else is run as a command (`docker run --rm -it tidings sh`).
[ "$#" -gt 0 ] || set -- serve
case $1 in
    -h | --help | -V | --version) exec tidings "$@" ;;
    -*) exec tidings serve "$@" ;;
    serve) exec tidings "$@" ;;
    *) exec "$@" ;;
esac
