#!/bin/sh
# The read replica of the compose `scale` profile (docker-compose.yml, service postgres-replica):
# on its first start — an empty data volume — it copies the primary with pg_basebackup and
# configures itself as a streaming standby of it (-R: standby.signal and primary_conninfo); then,
# and on every later start, it runs the postgres image's own entrypoint, which finds the data in
# place and starts a hot standby: read-only queries, the primary's changes applied as they stream.
#
# A replication slot makes the primary keep the WAL the replica has not received yet, so a replica
# that was down catches up instead of needing a new copy. Settings (libpq): PGHOST (the primary),
# PGUSER, PGPASSWORD; PGDATA.
set -eu
: "${PGDATA:=/var/lib/postgresql/data}"
SLOT=streamsync_replica

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready -h "$PGHOST" -U "$PGUSER" -q; do
    echo "replica: waiting for the primary at $PGHOST"
    sleep 2
  done
  # a slot left by an earlier replica whose volume was removed would refuse the new copy
  psql -d postgres -v ON_ERROR_STOP=1 -qAt -c \
    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
      WHERE slot_name = '$SLOT' AND NOT active" > /dev/null
  mkdir -p "$PGDATA"
  chown postgres:postgres "$PGDATA"
  chmod 700 "$PGDATA"
  echo "replica: copying the primary at $PGHOST (pg_basebackup)"
  gosu postgres pg_basebackup -D "$PGDATA" -R -X stream -C -S "$SLOT" -c fast
fi

exec docker-entrypoint.sh postgres
