#!/usr/bin/env bash
# temporal-postgres.sh start|stop|wipe|status — a production-shaped Temporal for
# benchmarks: the real Temporal server (bin/temporal-server, built by
# `make temporal-postgres`) with persistence and visibility on the local
# PostgreSQL, in databases of its own, 4 history shards, the namespace, search
# attributes and schedules set up by the worker's `setup` command (what the Helm
# chart's temporal-setup hook runs). docs/performance.md, "Production-shaped
# Temporal and the engine floor", describes it.
#
#   start   create the databases and schema when missing (idempotent), write the
#           server's configuration, start the server in the background unless it
#           already runs, set up the namespace, wait until it serves, print the
#           frontend address on the last line of output
#   stop    stop the server this script started (SIGTERM, then SIGKILL after 30 s)
#   wipe    stop it, drop its two databases and remove its directory
#   status  say whether it runs, and where
#
# Settings (environment):
#   TEMPORAL_PG_DIR          configuration, pid file and log (default .data/temporal-postgres)
#   TEMPORAL_PG_PORT_OFFSET  added to Temporal's usual ports (default 10000: frontend 17233)
#   TEMPORAL_PG_NAMESPACE    namespace set up as the chart's hook does (default closeloop)
#   TEMPORAL_PG_SQL_HOST, TEMPORAL_PG_SQL_PORT, TEMPORAL_PG_SQL_USER, TEMPORAL_PG_SQL_PASSWORD
#                            the PostgreSQL server (default 127.0.0.1:5432, postgres, no password)
#   TEMPORAL_PG_DB           persistence database (default closeloop_temporal; visibility: <db>_visibility)
#   TEMPORAL_PG_SHARDS       history shards, fixed when the database is created (default 4)
#   TEMPORAL_PG_MAX_CONNS    connections to the persistence database per Temporal service
#                            (default 10; the sample's 20 × 4 services could take most of
#                            PostgreSQL's default max_connections of 100, which the tests share)
#   TEMPORAL_PG_HISTORY_CACHE_SIZE
#                            workflows whose mutable state the history service keeps in memory
#                            (history.hostLevelCacheMaxSize; default 128000, the server's own
#                            default — the module's development sample sets 8192, fewer than a
#                            10,000-follow-up rollout wakes); written when the server starts, so
#                            stop a running one for a new value to apply
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${BIN:-$ROOT/bin}
GO=${GO:-go}
VERSION=${TEMPORAL_SERVER_VERSION:-v1.29.1}
SERVER=$BIN/temporal-server
SQLTOOL=$BIN/temporal-sql-tool
DIR=${TEMPORAL_PG_DIR:-$ROOT/.data/temporal-postgres}
OFFSET=${TEMPORAL_PG_PORT_OFFSET:-10000}
NAMESPACE=${TEMPORAL_PG_NAMESPACE:-closeloop}
SQL_HOST=${TEMPORAL_PG_SQL_HOST:-127.0.0.1}
SQL_PORT=${TEMPORAL_PG_SQL_PORT:-5432}
SQL_USER=${TEMPORAL_PG_SQL_USER:-postgres}
SQL_PASSWORD=${TEMPORAL_PG_SQL_PASSWORD:-}
DB=${TEMPORAL_PG_DB:-closeloop_temporal}
VDB=${DB}_visibility
SHARDS=${TEMPORAL_PG_SHARDS:-4}
MAX_CONNS=${TEMPORAL_PG_MAX_CONNS:-10}
HISTORY_CACHE=${TEMPORAL_PG_HISTORY_CACHE_SIZE:-128000}
FRONTEND_PORT=$((7233 + OFFSET))
ADDRESS=127.0.0.1:$FRONTEND_PORT
PIDFILE=$DIR/server.pid
LOG=$DIR/server.log

say() { printf 'temporal-postgres: %s\n' "$*"; }
die() { say "$*" >&2; exit 1; }

case $DB in closeloop_test* | test* | postgres | template*) die "TEMPORAL_PG_DB=$DB: pick a database of Temporal's own" ;; esac

# The server module's source (schema files, sample configuration) is in the
# module cache once `go install …@$VERSION` has run.
module_dir() {
	local d
	d=$(GOWORK=off GOFLAGS=-mod=mod $GO env GOMODCACHE)/go.temporal.io/server@$VERSION
	[ -d "$d/schema/postgresql/v12" ] || die "$d not found: run make temporal-postgres (it builds the server with go install)"
	printf '%s\n' "$d"
}

sqltool() {
	local db=$1
	shift
	"$SQLTOOL" --plugin postgres12 --ep "$SQL_HOST" -p "$SQL_PORT" -u "$SQL_USER" --pw "$SQL_PASSWORD" --db "$db" "$@"
}

running_pid() {
	[ -f "$PIDFILE" ] || return 1
	local pid
	pid=$(cat "$PIDFILE")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
	# A reused pid is not our server.
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "temporal-server" || return 1
	printf '%s\n' "$pid"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ensure_db NAME SCHEMA: create the database when missing, put the versioning
# tables in (setup-schema -v 0.0 keeps a newer recorded version), and apply the
# schema versions not yet applied (update-schema does only those).
ensure_db() {
	local db=$1 schema=$2 out
	if ! out=$(sqltool "$db" create-database 2>&1); then
		grep -qi "already exists" <<<"$out" || die "create database $db failed: $out"
	else
		say "created database $db on $SQL_HOST:$SQL_PORT"
	fi
	out=$(sqltool "$db" setup-schema -v 0.0 2>&1) || die "setup-schema $db failed: $out"
	out=$(sqltool "$db" update-schema -d "$schema" 2>&1) || die "update-schema $db failed: $out"
}

write_config() {
	local mod=$1 p
	mkdir -p "$DIR/config/dynamicconfig" "$DIR/archival"
	# The module's sample for PostgreSQL 12+, with our databases, credentials,
	# shard count, connection pool and ports (Temporal's usual ones plus OFFSET, so it runs beside
	# the dev server of `make run` on 7233), archival under DIR.
	sed -e "s/databaseName: \"temporal\"/databaseName: \"$DB\"/" \
		-e "s/databaseName: \"temporal_visibility\"/databaseName: \"$VDB\"/" \
		-e "s/connectAddr: \"127.0.0.1:5432\"/connectAddr: \"$SQL_HOST:$SQL_PORT\"/" \
		-e "s/user: \"temporal\"/user: \"$SQL_USER\"/" \
		-e "s/password: \"temporal\"/password: \"$SQL_PASSWORD\"/" \
		-e "s/numHistoryShards: 4/numHistoryShards: $SHARDS/" \
		-e "s/maxConns: 20/maxConns: $MAX_CONNS/" -e "s/maxIdleConns: 20/maxIdleConns: $MAX_CONNS/" \
		-e "s#file:///tmp/temporal_archival/development#file://$DIR/archival/history#" \
		-e "s#file:///tmp/temporal_vis_archival/development#file://$DIR/archival/visibility#" \
		-e "s#filepath: \"config/dynamicconfig/development-sql.yaml\"#filepath: \"$DIR/config/dynamicconfig/development-sql.yaml\"#" \
		"$mod/config/development-postgres12.yaml" >"$DIR/config/development.yaml.tmp"
	for p in 7233 7234 7235 7239 7243 6933 6934 6935 6939 7936 8000; do
		sed -i -E "s/(Port: |port: |:)$p\b/\1$((p + OFFSET))/" "$DIR/config/development.yaml.tmp"
	done
	grep -q "grpcPort: $FRONTEND_PORT" "$DIR/config/development.yaml.tmp" || die "could not set the ports in $DIR/config/development.yaml.tmp (has the sample changed?)"
	grep -q "maxConns: $MAX_CONNS" "$DIR/config/development.yaml.tmp" || die "could not set the connection pool in $DIR/config/development.yaml.tmp (has the sample changed?)"
	grep -q "databaseName: \"$DB\"" "$DIR/config/development.yaml.tmp" || die "could not set the database in $DIR/config/development.yaml.tmp (has the sample changed?)"
	mv "$DIR/config/development.yaml.tmp" "$DIR/config/development.yaml"
	# The module's dynamic configuration for SQL, plus one partition per task
	# queue, as docs/deploy.md recommends for one or two workers per queue (the
	# dev server of the tests runs so too: platform/temporalx.DevServerArgs),
	# and the history service's mutable-state cache at the server's own default
	# instead of the sample's development value (8192): a production server
	# keeps more workflows' state in memory than a 10,000-follow-up rollout
	# wakes; with 8192 that rollout took 148 s against 134 s (docs/performance.md).
	{
		sed -e "s#localhost:7243/#localhost:$((7243 + OFFSET))/#" -e '/^history\.hostLevelCacheMaxSize:/,+1d' \
			"$mod/config/dynamicconfig/development-sql.yaml"
		printf '%s\n' "matching.numTaskqueueReadPartitions:" "  - value: 1" \
			"matching.numTaskqueueWritePartitions:" "  - value: 1" \
			"history.hostLevelCacheMaxSize:" "  - value: $HISTORY_CACHE"
	} >"$DIR/config/dynamicconfig/development-sql.yaml.tmp"
	[ "$(grep -c '^history\.hostLevelCacheMaxSize:' "$DIR/config/dynamicconfig/development-sql.yaml.tmp")" = 1 ] ||
		die "could not set history.hostLevelCacheMaxSize in $DIR/config/dynamicconfig/development-sql.yaml.tmp (has the sample changed?)"
	mv "$DIR/config/dynamicconfig/development-sql.yaml.tmp" "$DIR/config/dynamicconfig/development-sql.yaml"
}

# setup runs the worker's `setup` command — what the chart's temporal-setup hook
# runs: the namespace (retention 720h, the chart's default), Closeloop's search
# attributes and schedules. It succeeds only once the frontend, history and
# matching serve, so it is also the health check. The frontend can answer
# before the history shards are owned: retry for a while.
setup() {
	local i out
	for i in $(seq 1 12); do
		if out=$(cd "$ROOT" && TEMPORAL_ADDRESS=$ADDRESS TEMPORAL_NAMESPACE=$NAMESPACE TEMPORAL_NAMESPACE_RETENTION=720h \
			TEMPORAL_DIAL_TIMEOUT=20s LOG_LEVEL=warn $GO run ./workflows/cmd/worker setup 2>&1); then
			return 0
		fi
		running_pid >/dev/null || die "the server exited; the end of $LOG:$(printf '\n')$(tail -n 40 "$LOG")"
		sleep 5
	done
	die "worker setup against $ADDRESS kept failing: $out"
}

start() {
	[[ $HISTORY_CACHE =~ ^[1-9][0-9]*$ ]] || die "TEMPORAL_PG_HISTORY_CACHE_SIZE=$HISTORY_CACHE: want a positive number of workflows"
	[ -x "$SERVER" ] && [ -x "$SQLTOOL" ] || die "$SERVER or $SQLTOOL missing: run make temporal-postgres"
	mkdir -p "$DIR"
	local pid mod
	if pid=$(running_pid); then
		say "server already running (pid $pid), reusing it"
	else
		port_open "$FRONTEND_PORT" && die "port $FRONTEND_PORT is taken by another process: stop it or set TEMPORAL_PG_PORT_OFFSET"
		mod=$(module_dir)
		say "databases $DB and $VDB on $SQL_HOST:$SQL_PORT (schema $VERSION)"
		ensure_db "$DB" "$mod/schema/postgresql/v12/temporal/versioned"
		ensure_db "$VDB" "$mod/schema/postgresql/v12/visibility/versioned"
		write_config "$mod"
		say "starting Temporal server $VERSION ($SHARDS history shards), log $LOG"
		{ printf '\n=== %s start\n' "$(date -u +%FT%TZ)"; } >>"$LOG"
		(cd "$DIR" && exec setsid "$SERVER" --root "$DIR" --config config --env development --allow-no-auth start >>"$LOG" 2>&1 </dev/null) &
		echo $! >"$PIDFILE"
		local i
		for i in $(seq 1 120); do
			port_open "$FRONTEND_PORT" && break
			# kill -0, not running_pid: until the subshell has exec'd the server its
			# command line is still bash's, and running_pid would call it gone.
			kill -0 "$(cat "$PIDFILE")" 2>/dev/null || die "the server exited at start; the end of $LOG:$(printf '\n')$(tail -n 40 "$LOG")"
			sleep 0.5
		done
		port_open "$FRONTEND_PORT" || die "the frontend did not open $FRONTEND_PORT within 60 s; see $LOG"
	fi
	say "setting up namespace $NAMESPACE (worker setup, as the chart's hook) …"
	setup
	say "healthy: frontend $ADDRESS, namespace $NAMESPACE (stop: make temporal-postgres-stop)"
	printf '%s\n' "$ADDRESS"
}

stop() {
	local pid i
	if ! pid=$(running_pid); then
		rm -f "$PIDFILE"
		say "not running"
		return 0
	fi
	kill -TERM "$pid"
	for i in $(seq 1 60); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	if kill -0 "$pid" 2>/dev/null; then
		say "still running after 30 s: SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$PIDFILE"
	say "stopped (pid $pid)"
}

wipe() {
	stop
	[ -x "$SQLTOOL" ] || die "$SQLTOOL missing: run make temporal-postgres first (it drops databases with it)"
	local db
	for db in "$DB" "$VDB"; do
		sqltool "$db" drop-database --force >/dev/null 2>&1 && say "dropped database $db" || say "database $db: not dropped (missing?)"
	done
	rm -rf "$DIR"
	say "removed $DIR"
}

status() {
	local pid
	if pid=$(running_pid); then
		say "running (pid $pid): frontend $ADDRESS, namespace $NAMESPACE, databases $DB and $VDB, log $LOG"
	else
		say "not running (its databases $DB and $VDB, if any, stay until make temporal-postgres-wipe)"
		return 1
	fi
}

case ${1:-} in
start | stop | wipe | status) "$1" ;;
*) die "usage: $0 start|stop|wipe|status" ;;
esac
