# Private PostgreSQL clusters for the demo and the tests: no system service, no system config.
# PostgreSQL refuses to run as root, so when we are root the cluster belongs to the `postgres`
# user and every server command runs as that user.
# shellcheck shell=bash

pg_bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -x "$dir/initdb" ] || { echo "PostgreSQL server binaries not found (is the postgresql package installed?)" >&2; return 1; }
  echo "$dir"
}

pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# free_port_block N: the first of N consecutive TCP ports free on 127.0.0.1, drawn at random from
# below the kernel's ephemeral range: a port in that range can be handed to an outgoing connection
# (a client of PostgreSQL, a simulator dialling) between the choice and the bind.
free_port_block() {
  python3 - "$1" <<'PY'
import random, socket, sys
count = int(sys.argv[1])
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
top = low if low - 10000 > count * 20 else 65535
bottom = 10000 if top == low else 1024
def free(base):
    socks = [socket.socket() for _ in range(count)]
    try:
        for i, s in enumerate(socks):
            s.bind(("127.0.0.1", base + i))
        return True
    except OSError:
        return False
    finally:
        for s in socks:
            s.close()
for _ in range(200):
    base = random.randrange(bottom, top - count)
    if free(base):
        print(base)
        sys.exit(0)
sys.exit("no block of %d free ports below %d" % (count, top))
PY
}

# A free TCP port on 127.0.0.1 (see free_port_block).
free_port() {
  free_port_block 1
}

# pg_data_dir WANTED: WANTED itself when the cluster owner can reach it, else a directory the
# owner can reach, linked from WANTED (e.g. a checkout under /root, which `postgres` cannot enter).
pg_data_dir() {
  local wanted=$1
  mkdir -p "$(dirname "$wanted")"
  if [ -L "$wanted" ]; then readlink -f "$wanted"; return; fi
  if [ "$(id -u)" -ne 0 ] || runuser -u postgres -- test -x "$(dirname "$wanted")"; then
    echo "$wanted"; return
  fi
  local elsewhere
  elsewhere="/var/tmp/halld-pg-$(echo -n "$wanted" | sha256sum | cut -c1-12)"
  mkdir -p "$elsewhere"
  ln -sfn "$elsewhere" "$wanted"
  echo "$elsewhere"
}

# pg_init DATADIR AUTH [PWFILE]: initdb unless DATADIR already holds a cluster.
pg_init() {
  local data=$1 auth=$2 pwfile=${3:-}
  [ -f "$data/PG_VERSION" ] && return 0
  local bin; bin=$(pg_bindir) || return 1
  mkdir -p "$data"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$data"
  chmod 700 "$data"
  local args=(-D "$data" -U postgres -E UTF8 --locale=C.UTF-8 --auth-local=trust --auth-host="$auth")
  if [ -n "$pwfile" ]; then
    [ "$(id -u)" -eq 0 ] && chown postgres "$pwfile"
    args+=(--pwfile="$pwfile")
  fi
  pg_as_owner "$bin/initdb" "${args[@]}" >/dev/null
}

# pg_start DATADIR PORT: starts the server on 127.0.0.1:PORT (TCP only) and waits until it accepts.
pg_start() {
  local data=$1 port=$2
  local bin; bin=$(pg_bindir) || return 1
  pg_as_owner "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
    -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=${PG_FSYNC:-on}" start >/dev/null
}

# pg_start_free DATADIR: starts the cluster on a free port and prints it, trying another port
# when the one chosen was taken meanwhile.
pg_start_free() {
  local data=$1 port try
  for try in 1 2 3 4 5; do
    port=$(free_port) || return 1
    if pg_start "$data" "$port" 2>/dev/null; then
      echo "$port"
      return 0
    fi
    grep -q "could not bind\|Address already in use" "$data/server.log" 2>/dev/null || break
  done
  tail -n 20 "$data/server.log" >&2
  return 1
}

pg_stop() {
  local data=$1
  local bin; bin=$(pg_bindir) || return 1
  [ -f "$data/postmaster.pid" ] || return 0
  pg_as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null || true
}

pg_running() {
  local data=$1
  local bin; bin=$(pg_bindir) || return 1
  pg_as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1
}

# pg_archive_wal DATADIR ARCHIVE: continuous WAL archiving of the cluster into ARCHIVE (each
# completed segment copied once, never overwritten); takes effect at the cluster's next start.
pg_archive_wal() {
  local data=$1 archive=$2
  mkdir -p "$archive"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$archive"
  pg_as_owner tee -a "$data/postgresql.conf" >/dev/null <<CONF
wal_level = replica
archive_mode = on
archive_command = 'test ! -f $archive/%f && cp %p $archive/%f'
archive_timeout = 60
CONF
}

# pg_base_backup PORT DEST [FORMAT]: a base backup of the cluster on 127.0.0.1:PORT into DEST,
# taken while it runs, with the WAL it needs streamed alongside (FORMAT plain, or tar: gzipped).
pg_base_backup() {
  local port=$1 dest=$2 format=${3:-plain}
  local bin; bin=$(pg_bindir) || return 1
  mkdir -p "$(dirname "$dest")"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$(dirname "$dest")"
  local args=(-h 127.0.0.1 -p "$port" -U postgres -D "$dest" -X stream -c fast)
  [ "$format" = tar ] && args+=(-F tar -z)
  pg_as_owner env PGPASSWORD="${PGPASSWORD:-}" "$bin/pg_basebackup" "${args[@]}"
}

# pg_restore_pitr BASE ARCHIVE DATADIR: a new cluster in DATADIR from a plain base backup, set to
# replay the archived WAL to its end (point-in-time recovery to the latest point) at its start.
pg_restore_pitr() {
  local base=$1 archive=$2 data=$3
  [ -e "$data" ] && { echo "pg_restore_pitr: $data exists" >&2; return 1; }
  pg_as_owner cp -a "$base" "$data"
  pg_as_owner tee -a "$data/postgresql.conf" >/dev/null <<CONF
restore_command = 'cp $archive/%f %p'
recovery_target_timeline = 'latest'
CONF
  pg_as_owner touch "$data/recovery.signal"
}
