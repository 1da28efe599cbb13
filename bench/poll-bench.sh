#!/bin/bash
# Whole-daemon polling benchmark: N realistic feeds (about 50 items, 20-60 KB each) served by
# nginx on 127.0.0.1 with ETag and Last-Modified; `feedwatch once` runs twice on them, cold
# (every feed new: fetch, parse, match, store) and warm (every feed answers 304), and the
# wall time, CPU seconds and peak RSS of each run are printed.
#
#   bench/poll-bench.sh [--single-host] [N]   (default 1000; needs nginx-light, time and a
#                                               release build)
#
# Every feed is on the one loopback host. By default the per-host limit is raised to the global
# one, as an operator polling one aggregator would do. With --single-host the defaults stay
# (`per_host = 2`): thousands of feeds queue behind one host, which is what the scheduler must
# handle in linear time. Nothing leaves 127.0.0.1.
set -euo pipefail

single_host=""
if [[ "${1:-}" == "--single-host" ]]; then
  single_host=1
  shift
fi
n="${1:-1000}"
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD:-$root/build/release}"
port="${PORT:-18231}"
work="$(mktemp -d /tmp/feedwatch-poll-bench.XXXXXX)"
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"

cleanup() {
  if [[ -f "$work/nginx.pid" ]]; then kill "$(cat "$work/nginx.pid")" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
[[ -n "${KEEP:-}" ]] && trap - EXIT  # KEEP=1 leaves the files, and nginx, for a profiler

for tool in "$nginx_bin" /usr/bin/time "$build/feedwatch" "$build/bench/feedwatch_make_feeds"; do
  [[ -x "$tool" ]] || { echo "missing $tool (apt-get install nginx-light time; cmake --workflow --preset release)" >&2; exit 69; }
done

"$build/bench/feedwatch_make_feeds" "$work/www" "$n"
chmod -R a+rX "$work"  # nginx workers may run as www-data

mkdir -p "$work/logs"
cat > "$work/nginx.conf" <<EOF
worker_processes 2;
pid $work/nginx.pid;
error_log $work/logs/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  types { application/rss+xml xml; }
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$port;
    root $work/www;
    etag on;
  }
}
EOF
"$nginx_bin" -c "$work/nginx.conf" -p "$work"

config="$work/feedwatch.toml"
{
  echo '[daemon]'
  echo "state_dir = \"$work/state\""
  echo 'log_level = "warn"'
  if [[ -z "$single_host" ]]; then
    echo '[http]'
    echo 'concurrency = 32'
    echo 'per_host = 32'
  fi
  echo '[defaults]'
  echo 'initial_lookback = "all"'
  # The example's three watches and a console notifier whose lines go to /dev/null.
  sed -n '/^\[\[watch\]\]/,$p' "$root/config/feedwatch.example.toml"
  for ((i = 0; i < n; i++)); do
    printf '[[feed]]\nname = "feed-%05d"\nurl = "http://127.0.0.1:%s/feed-%05d.xml"\n' "$i" "$port" "$i"
  done
} > "$config"

run() {
  local label="$1"
  # CPU to the millisecond from bash's `time` (GNU time rounds to 10 ms, too coarse for a warm
  # cycle of 1,000 feeds); peak RSS from GNU time.
  local TIMEFORMAT="%3R %3U %3S"
  { time /usr/bin/time -f "%M" -o "$work/rss" "$build/feedwatch" once -c "$config" \
      > /dev/null 2> "$work/logs/$label.log"; } 2> "$work/time"
  read -r wall user sys < "$work/time"
  read -r rss < "$work/rss"
  printf '%-5s %6d feeds: wall %7.3f s, CPU %7.3f s (user %.3f + sys %.3f), peak RSS %5.1f MB\n' \
    "$label" "$n" "$wall" "$(echo "$user + $sys" | bc)" "$user" "$sys" "$(echo "$rss / 1024" | bc -l)"
}

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
if [[ -n "$single_host" ]]; then
  echo "mode: single host, default limits (concurrency 32, per_host 2)"
else
  echo "mode: one host, per_host raised to concurrency (32)"
fi
run cold
run warm
statuses="$(sqlite3 "$work/state/feedwatch.db" 'SELECT last_status, count(*) FROM feeds GROUP BY 1')"
echo "feed statuses after the warm run: ${statuses//$'\n'/, }"
