#!/usr/bin/env bash
# Run CMD... with a throwaway PostgreSQL server, then remove the server again.
#
#   scripts/with-postgres.sh .venv/bin/python -m pytest
#
# The cluster lives in a fresh temp folder, listens on 127.0.0.1 only, on a free port, with
# its unix socket inside that folder (so it never meets the machine's own server) and trust
# auth. CMD sees BILLING_TEST_PG_URL pointing at an empty database `billing_test`. Whatever
# happens (CMD fails, Ctrl-C, a start-up error) the server is stopped and the folder removed;
# the script exits with CMD's status.
#
# initdb refuses to run as root, so as root the cluster belongs to the `postgres` user
# (created by the `postgresql` package); otherwise it belongs to the current user.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 CMD [ARG...]" >&2
    exit 2
fi

log() { echo "with-postgres: $*" >&2; }

find_pg_bin() {
    if [ -n "${PG_BIN:-}" ]; then
        echo "$PG_BIN"
        return
    fi
    local dir
    # Newest installed major version first.
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then
        echo "$dir"
    elif command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
        pg_config --bindir
    elif command -v initdb >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
    else
        log "no PostgreSQL server binaries found (apt-get install postgresql, or set PG_BIN)"
        exit 1
    fi
}

PG_BIN=$(find_pg_bin)

if [ "$(id -u)" -eq 0 ]; then
    PG_OWNER=postgres
    if ! id "$PG_OWNER" >/dev/null 2>&1; then
        log "running as root but there is no '$PG_OWNER' user (is the postgresql package installed?)"
        exit 1
    fi
    # The postgres user must be able to reach the folder, so not under root's own TMPDIR.
    TMP_PARENT=/tmp
else
    PG_OWNER=$(id -un)
    TMP_PARENT=${TMPDIR:-/tmp}
fi

# Run a server binary as the cluster's owner, from inside the cluster folder (the owner may
# not be allowed into the caller's working directory).
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        if command -v runuser >/dev/null 2>&1; then
            (cd "$PG_TMP" && runuser -u "$PG_OWNER" -- "$@")
        else
            (cd "$PG_TMP" && su -s /bin/bash -c "$(printf '%q ' "$@")" "$PG_OWNER")
        fi
    else
        (cd "$PG_TMP" && "$@")
    fi
}

PG_TMP=$(mktemp -d "$TMP_PARENT/billing-pg.XXXXXX")
PG_DATA=$PG_TMP/data
PG_SOCK=$PG_TMP/sock
PG_LOG=$PG_TMP/server.log

PG_PID=

stop_server() {
    [ -n "$PG_PID" ] || return 0
    if kill -0 "$PG_PID" 2>/dev/null; then
        as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 30 stop >/dev/null 2>&1 \
            || as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w -t 10 stop >/dev/null 2>&1 \
            || true
        # pg_ctl returns once the server is down; its parent (runuser) may take a moment to follow.
        for _ in $(seq 100); do kill -0 "$PG_PID" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$PG_PID" 2>/dev/null; then
            local pid
            pid=$(head -n 1 "$PG_DATA/postmaster.pid" 2>/dev/null || true)
            log "server ${pid:-?} did not stop, killing it"
            [ -z "$pid" ] || kill -KILL "$pid" 2>/dev/null || true
            kill -KILL "$PG_PID" 2>/dev/null || true
        fi
    fi
    wait "$PG_PID" 2>/dev/null || true
    PG_PID=
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    stop_server
    rm -rf "$PG_TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

mkdir -p "$PG_SOCK"
if [ "$(id -u)" -eq 0 ]; then
    chown -R "$PG_OWNER": "$PG_TMP"
fi

if ! as_owner "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -A trust -E UTF8 --locale=C --no-sync \
    >"$PG_TMP/initdb.log" 2>&1; then
    log "initdb failed:"
    cat "$PG_TMP/initdb.log" >&2
    exit 1
fi

free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# Started as our own background child (not with `pg_ctl start`, which orphans it to init), so
# this script reaps it on the way out. fsync off: the data is thrown away, durability only costs time.
start_server() {
    as_owner "$PG_BIN/postgres" -D "$PG_DATA" -c listen_addresses=127.0.0.1 -p "$1" -k "$PG_SOCK" \
        -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
        </dev/null >>"$PG_LOG" 2>&1 &
    PG_PID=$!
    for _ in $(seq 300); do
        # Ask through our own socket: a stranger that grabbed the port must not look like our server.
        "$PG_BIN/pg_isready" -q -h "$PG_SOCK" -p "$1" -U postgres && return 0
        kill -0 "$PG_PID" 2>/dev/null || break
        sleep 0.1
    done
    stop_server
    return 1
}

# A port picked as free can be taken before the server binds it; try a few.
PG_PORT=
for _ in 1 2 3 4 5; do
    port=$(free_port)
    if start_server "$port"; then
        PG_PORT=$port
        break
    fi
done
if [ -z "$PG_PORT" ]; then
    log "could not start the server; its log:"
    cat "$PG_LOG" >&2 || true
    exit 1
fi

"$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres billing_test

export BILLING_TEST_PG_URL="postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/billing_test"
log "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT ($PG_TMP)"

set +e
"$@"
status=$?
set -e
exit "$status"
