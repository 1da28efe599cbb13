#!/bin/bash
# Whole-daemon polling benchmark: N realistic feeds (about 50 items, 20-60 KB each) served by
# nginx on 127.0.0.1 with ETag and Last-Modified; `feedwatch once` runs twice on them, cold
# (every feed new: fetch, parse, match, store) and warm (every feed answers 304), and the
# wall time, CPU seconds and peak RSS of each run are printed.
#
#   bench/poll-bench.sh [--single-host] [--hosts H] [--bodies P]
#                       [--postgresql [--instances K] [--run] [--steady S]] [N]
#     (N defaults to 1000; needs nginx-light, time, postgresql-15 and a release build)
#
# --bodies P gives every item a body of P paragraphs (content:encoded / Atom content), as
# full-text feeds carry, so that matching reads whole articles passage by passage.
#
# --postgresql keeps the state in a throwaway PostgreSQL cluster (tests/support/pg-cluster) on a
# Unix socket, and counts the server's CPU beside feedwatch's. With --instances K > 1 (or with
# --run), K `feedwatch run` instances share it (interval 3m): the cold cycle ends when every feed has
# been polled once, the warm one when every feed has answered 304 once; the CPU of the
# instances and of the server is read from /proc at those moments. (`once` polls every feed
# whatever the leases say: a single instance's tool.)
#
# --steady S (with --postgresql) measures the steady state instead: the feeds are polled every
# minute (a fixed schedule), and once every feed has answered 304, the CPU of the instances and
# of the server over S seconds is divided by the requests nginx answered in them.
#
# Every feed is on the one loopback host, or with --hosts H on H of them (127.0.0.1 on H ports,
# feed i on the (i mod H)th): several instances share hosts, not feeds. By default the per-host
# limit is raised to the global one, as an operator polling one aggregator would do. With --single-host the defaults stay
# (`per_host = 2`): thousands of feeds queue behind one host, which is what the scheduler must
# handle in linear time. Nothing leaves 127.0.0.1.
set -euo pipefail

single_host=""
hosts=1
bodies=0
postgresql=""
instances=1
run_mode=""
steady=0
while [[ "${1:-}" == --* ]]; do
  case "$1" in
    --single-host) single_host=1 ;;
    --bodies) bodies="$2"; shift ;;
    --hosts) hosts="$2"; shift ;;
    --postgresql) postgresql=1 ;;
    --instances) instances="$2"; shift ;;
    --run) run_mode=1 ;;
    --steady) steady="$2"; run_mode=1; shift ;;
    *) echo "unknown option $1" >&2; exit 64 ;;
  esac
  shift
done
n="${1:-1000}"
if (( instances > 1 )); then run_mode=1; fi
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD:-$root/build/release}"
port="${PORT:-18231}"
work="$(mktemp -d /tmp/feedwatch-poll-bench.XXXXXX)"
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"

pg="$work/pg"
cleanup() {
  if [[ -f "$work/nginx.pid" ]]; then kill "$(cat "$work/nginx.pid")" 2>/dev/null || true; fi
  for pid in "${daemons[@]:-}"; do [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true; done
  if [[ -n "$postgresql" ]]; then "$root/tests/support/pg-cluster" stop "$pg" || true; fi
  rm -rf "$work"
}
daemons=()
trap cleanup EXIT
[[ -n "${KEEP:-}" ]] && trap - EXIT  # KEEP=1 leaves the files, and nginx, for a profiler

for tool in "$nginx_bin" /usr/bin/time "$build/feedwatch" "$build/bench/feedwatch_make_feeds"; do
  [[ -x "$tool" ]] || { echo "missing $tool (apt-get install nginx-light time; cmake --workflow --preset release)" >&2; exit 69; }
done

"$build/bench/feedwatch_make_feeds" "$work/www" "$n" "$bodies"
chmod -R a+rX "$work"  # nginx workers may run as www-data

mkdir -p "$work/logs"
cat > "$work/nginx.conf" <<EOF
worker_processes 2;
pid $work/nginx.pid;
error_log $work/logs/error.log;
events { worker_connections 4096; }
http {
  access_log $( ((steady > 0)) && echo "$work/logs/access.log" || echo off);
  types { application/rss+xml xml; }
  keepalive_requests 1000000;
  server {
$(for ((h = 0; h < hosts; h++)); do echo "    listen 127.0.0.1:$((port + h));"; done)
    root $work/www;
    etag on;
  }
}
EOF
"$nginx_bin" -c "$work/nginx.conf" -p "$work"

if [[ -n "$postgresql" ]]; then
  chmod 755 "$work"  # the server runs as nobody when this runs as root
  "$root/tests/support/pg-cluster" start "$pg"
  psql -q -h "$pg" -U postgres -d postgres -c "CREATE DATABASE bench"
fi
sql() { psql -qtA -h "$pg" -U postgres -d bench -c "$1"; }

config="$work/feedwatch.toml"
{
  echo '[daemon]'
  echo "state_dir = \"$work/state\""
  echo 'log_level = "warn"'
  if [[ -n "$postgresql" ]]; then
    echo '[store]'
    echo "url = \"postgresql://postgres@/bench?host=$pg\""
  fi
  if [[ -z "$single_host" ]]; then
    echo '[http]'
    echo 'concurrency = 32'
    echo 'per_host = 32'
  fi
  echo '[defaults]'
  echo 'initial_lookback = "all"'
  if ((steady > 0)); then
    echo 'interval = "1m"'
    echo 'min_interval = "1m"'
  elif [[ -n "$run_mode" ]]; then
    echo 'interval = "3m"'
  fi
  # The example's term lists, three watches and a console notifier whose lines go to /dev/null.
  sed -n '/^\[terms\]/,$p' "$root/config/feedwatch.example.toml"
  for ((i = 0; i < n; i++)); do
    printf '[[feed]]\nname = "feed-%05d"\nurl = "http://127.0.0.1:%s/feed-%05d.xml"\n' "$i" \
      "$((port + i % hosts))" "$i"
  done
} > "$config"

ticks="$(getconf CLK_TCK)"
# CPU seconds of a process and its reaped children.
cpu_of() { awk -v t="$ticks" '{printf "%.3f", ($14 + $15 + $16 + $17) / t}' "/proc/$1/stat"; }
# CPU seconds of the PostgreSQL server: the postmaster, its reaped children, its live ones.
pg_cpu() {
  [[ -n "$postgresql" ]] || { echo 0; return; }
  local pm total child
  pm="$(head -1 "$pg/data/postmaster.pid")"
  total="$(cpu_of "$pm")"
  for child in $(pgrep -P "$pm"); do
    total="$(echo "$total + $(cpu_of "$child" 2>/dev/null || echo 0)" | bc)"
  done
  echo "$total"
}

run() {
  local label="$1"
  local pg_before
  pg_before="$(pg_cpu)"
  # CPU to the millisecond from bash's `time` (GNU time rounds to 10 ms, too coarse for a warm
  # cycle of 1,000 feeds); peak RSS from GNU time.
  local TIMEFORMAT="%3R %3U %3S"
  { time /usr/bin/time -f "%M" -o "$work/rss" "$build/feedwatch" once -c "$config" \
      > /dev/null 2> "$work/logs/$label.log"; } 2> "$work/time"
  read -r wall user sys < "$work/time"
  read -r rss < "$work/rss"
  printf '%-5s %6d feeds: wall %7.3f s, CPU %7.3f s (user %.3f + sys %.3f), peak RSS %5.1f MB' \
    "$label" "$n" "$wall" "$(echo "$user + $sys" | bc)" "$user" "$sys" "$(echo "$rss / 1024" | bc -l)"
  if [[ -n "$postgresql" ]]; then
    sleep 2  # the postmaster reaps the run's backend, adding its CPU to its own, within a second
    printf '; PostgreSQL server CPU %.3f s' "$(echo "$(pg_cpu) - $pg_before" | bc)"
  fi
  printf '\n'
}

# K instances in `run` mode: waits until `condition` (SQL counting feeds) reaches N, then
# prints the CPU the instances and the server used since `mark`.
instances_cpu() {
  local total=0 pid
  for pid in "${daemons[@]}"; do total="$(echo "$total + $(cpu_of "$pid")" | bc)"; done
  echo "$total"
}
cycle() {
  local label="$1" condition="$2" started="$3" fw_before="$4" pg_before="$5"
  until [[ "$(sql "SELECT count(*) FROM feeds WHERE $condition")" -ge "$n" ]]; do sleep 1; done
  local now
  now="$(date +%s.%N)"
  printf '%-5s %6d feeds, %d instances: wall %7.1f s (the start spreads polls over 2 min), feedwatch CPU %7.3f s, PostgreSQL server CPU %7.3f s\n' \
    "$label" "$n" "$instances" "$(echo "$now - $started" | bc)" \
    "$(echo "$(instances_cpu) - $fw_before" | bc)" "$(echo "$(pg_cpu) - $pg_before" | bc)"
}

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
if [[ -n "$single_host" ]]; then
  echo "mode: $hosts host(s), default limits (concurrency 32, per_host 2)"
else
  echo "mode: $hosts host(s), per_host raised to concurrency (32)"
fi
if [[ -n "$postgresql" ]]; then
  echo "store: PostgreSQL 15, Unix socket, $instances instance(s)"
else
  echo "store: SQLite"
fi
if [[ -z "$run_mode" ]]; then
  run cold
  run warm
else
  started="$(date +%s.%N)"
  for ((i = 0; i < instances; i++)); do
    "$build/feedwatch" run -c "$config" > /dev/null 2> "$work/logs/instance-$i.log" &
    daemons+=("$!")
  done
  cycle cold "last_success_at IS NOT NULL" "$started" 0 "$(pg_cpu)"
  started="$(date +%s.%N)"
  fw="$(instances_cpu)"
  pgc="$(pg_cpu)"
  cycle warm "last_status = '304 not modified'" "$started" "$fw" "$pgc"
  if ((steady > 0)); then
    fw="$(instances_cpu)"
    pgc="$(pg_cpu)"
    requests="$(wc -l < "$work/logs/access.log")"
    sleep "$steady"
    fw="$(echo "$(instances_cpu) - $fw" | bc)"
    pgc="$(echo "$(pg_cpu) - $pgc" | bc)"
    requests="$(($(wc -l < "$work/logs/access.log") - requests))"
    printf 'steady %6d feeds, %d instances, %d s: %d requests; CPU per 1,000 polls: feedwatch %.3f s + server %.3f s = %.3f s\n' \
      "$n" "$instances" "$steady" "$requests" "$(echo "$fw * 1000 / $requests" | bc -l)" \
      "$(echo "$pgc * 1000 / $requests" | bc -l)" "$(echo "($fw + $pgc) * 1000 / $requests" | bc -l)"
  fi
fi
if [[ -n "$postgresql" ]]; then
  statuses="$(sql 'SELECT last_status, count(*) FROM feeds GROUP BY 1')"
else
  statuses="$(sqlite3 "$work/state/feedwatch.db" 'SELECT last_status, count(*) FROM feeds GROUP BY 1')"
fi
echo "feed statuses after the warm run: ${statuses//$'\n'/, }"
