#!/usr/bin/env bash
# Installs, starts and stops the real services that mlpulse's tests talk to, all on
# 127.0.0.1: PostgreSQL, the Prometheus Pushgateway, Prometheus and Alertmanager.
#
#   services.sh install   apt-get the Debian packages (needs root; skipped if present)
#   services.sh start     start every service, wait until each answers, write the env file
#   services.sh stop      stop what `start` started, by the process ids it recorded
#
# `start` writes $MLPULSE_SERVICES_DIR/env (default /tmp/mlpulse-services/env) with the
# MLPULSE_TEST_* variables the tests read; source it before running pytest.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
state=${MLPULSE_SERVICES_DIR:-/tmp/mlpulse-services}

pg_port=${MLPULSE_TEST_PG_PORT:-55432}
pgw_port=${MLPULSE_TEST_PUSHGATEWAY_PORT:-59091}
prom_port=${MLPULSE_TEST_PROMETHEUS_PORT:-59090}
am_port=${MLPULSE_TEST_ALERTMANAGER_PORT:-59093}
webhook_port=${MLPULSE_TEST_WEBHOOK_PORT:-59099}

log() { printf 'services: %s\n' "$*" >&2; }

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] || { log "PostgreSQL binaries not found; run: $0 install"; exit 1; }
  echo "$dir"
}

install() {
  local need=()
  command -v prometheus-pushgateway >/dev/null || need+=(prometheus-pushgateway)
  command -v prometheus >/dev/null || need+=(prometheus)
  command -v prometheus-alertmanager >/dev/null || need+=(prometheus-alertmanager)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
  if [ ${#need[@]} -eq 0 ]; then
    log "packages already installed"
    return
  fi
  if [ "$(id -u)" -ne 0 ]; then
    log "missing ${need[*]}; install them as root: apt-get install ${need[*]}"
    exit 1
  fi
  log "installing ${need[*]}"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${need[@]}" >/dev/null
}

wait_http() {  # url, name
  local i
  for i in $(seq 1 100); do
    if python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" \
      "$1" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  log "$2 did not answer at $1; its log: $state/$2.log"
  tail -n 20 "$state/$2.log" >&2 || true
  exit 1
}

start_postgres() {
  local bin
  bin=$(pg_bin)
  mkdir -p "$state/pg"
  chmod 755 "$state"
  if id postgres >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
    chown postgres "$state/pg"
    run_pg() { runuser -u postgres -- "$@"; }
  else
    run_pg() { "$@"; }
  fi
  if [ ! -f "$state/pg/data/PG_VERSION" ]; then
    run_pg "$bin/initdb" -D "$state/pg/data" -U postgres --auth=trust -E UTF8 \
      >"$state/pg/initdb.log" 2>&1
  fi
  run_pg "$bin/pg_ctl" -D "$state/pg/data" -l "$state/pg/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $state/pg" start >/dev/null
  run_pg "$bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname='mlpulse_test'" | grep -q 1 ||
    run_pg "$bin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres mlpulse_test
}

start_bg() {  # name, command...
  local name=$1
  shift
  # a session of its own, so the service outlives the shell that started it;
  # `stop` ends it by the recorded process id
  setsid "$@" >"$state/$name.log" 2>&1 </dev/null &
  echo $! >"$state/$name.pid"
}

start() {
  mkdir -p "$state"
  stop_quietly
  start_postgres

  start_bg pushgateway prometheus-pushgateway \
    --web.listen-address="127.0.0.1:$pgw_port" --web.enable-admin-api
  wait_http "http://127.0.0.1:$pgw_port/-/ready" pushgateway

  mkdir -p "$state/test-rules"
  rm -f "$state"/test-rules/*.yml
  sed -e "s/@ALERTMANAGER@/127.0.0.1:$am_port/" -e "s/@PUSHGATEWAY@/127.0.0.1:$pgw_port/" \
    -e "s#@RULES@#$repo/deployments/prometheus/rules.yml#" \
    -e "s#@TEST_RULES@#$state/test-rules#" \
    "$here/prometheus.yml" >"$state/prometheus.yml"
  start_bg prometheus prometheus --config.file="$state/prometheus.yml" \
    --web.listen-address="127.0.0.1:$prom_port" --storage.tsdb.path="$state/prom-data" \
    --web.enable-lifecycle
  wait_http "http://127.0.0.1:$prom_port/-/ready" prometheus

  sed -e "s/@WEBHOOK@/127.0.0.1:$webhook_port/" "$here/alertmanager.yml" \
    >"$state/alertmanager.yml"
  start_bg alertmanager prometheus-alertmanager --config.file="$state/alertmanager.yml" \
    --web.listen-address="127.0.0.1:$am_port" --cluster.listen-address= \
    --storage.path="$state/am-data"
  wait_http "http://127.0.0.1:$am_port/-/ready" alertmanager

  cat >"$state/env" <<ENV
export MLPULSE_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:$pg_port/mlpulse_test
export MLPULSE_TEST_PUSHGATEWAY_URL=http://127.0.0.1:$pgw_port
export MLPULSE_TEST_PROMETHEUS_URL=http://127.0.0.1:$prom_port
export MLPULSE_TEST_ALERTMANAGER_URL=http://127.0.0.1:$am_port
export MLPULSE_TEST_WEBHOOK_PORT=$webhook_port
export MLPULSE_TEST_RULES_DIR=$state/test-rules
ENV
  log "all services up; env in $state/env"
}

stop_quietly() {
  local name pid
  for name in alertmanager prometheus pushgateway; do
    if [ -f "$state/$name.pid" ]; then
      pid=$(cat "$state/$name.pid")
      if kill "$pid" 2>/dev/null; then
        for _ in $(seq 1 50); do  # up to 5 s for it to let go of its port
          kill -0 "$pid" 2>/dev/null || break
          sleep 0.1
        done
      fi
      rm -f "$state/$name.pid"
    fi
  done
  if [ -f "$state/pg/data/postmaster.pid" ]; then
    local bin
    bin=$(pg_bin)
    if [ "$(id -u)" -eq 0 ] && id postgres >/dev/null 2>&1; then
      runuser -u postgres -- "$bin/pg_ctl" -D "$state/pg/data" -m fast stop >/dev/null 2>&1 || true
    else
      "$bin/pg_ctl" -D "$state/pg/data" -m fast stop >/dev/null 2>&1 || true
    fi
  fi
}

stop() {
  stop_quietly
  log "stopped"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 install|start|stop" >&2; exit 2 ;;
esac
