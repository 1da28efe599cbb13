#!/bin/bash
# Soak run: feedwatch run against N loopback feeds that change every minute, with random server
# errors (500, 503 with Retry-After, connections cut mid-body) and a webhook receiver that fails
# 20% of deliveries, while the daemon is killed with SIGKILL and restarted every few minutes.
# At the end it reports the alerts expected and received, duplicates, the daemon's memory and
# file descriptors, as markdown (docs/reliability.md holds a run's report).
#
#   bench/soak.sh [MINUTES] [FEEDS]      (default 30 and 1000; needs a release build)
#
# KILL_EVERY (minutes, default 5) sets how often the daemon is killed. The feeds stop changing
# two minutes before the end; then the daemon has up to DRAIN minutes (default 10) to deliver
# the rest before the report. Everything stays on 127.0.0.1.
set -euo pipefail

minutes="${1:-30}"
feeds="${2:-1000}"
kill_every="${KILL_EVERY:-5}"
bench_name=soak
# shellcheck source=bench/python-server.sh
source "$(dirname "$0")/python-server.sh"

"$python" "$root/bench/soak_server.py" --port "$port" --feeds "$feeds" --log "$work" &
server_pid=$!
for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$port/feed/0.xml" && break || sleep 0.1; done

config="$work/feedwatch.toml"
{
  echo '[daemon]'
  echo "state_dir = \"$work/state\""
  echo 'log_level = "warn"'
  echo '[http]'
  echo 'timeout = "10s"'
  echo 'per_host = 32'
  echo '[defaults]'
  echo 'interval = "1m"'
  echo 'initial_lookback = "all"'
  echo '[[notify]]'
  echo 'name = "hook"'
  echo 'type = "webhook"'
  echo "url = \"http://127.0.0.1:$port/hook\""
  echo 'max_age = "24h"'
  echo '[[watch]]'
  echo 'name = "darchiev"'
  echo 'query = "Darchiev"'
  for ((i = 0; i < feeds; i++)); do
    printf '[[feed]]\nname = "soak-%04d"\nurl = "http://127.0.0.1:%s/feed/%d.xml"\n' "$i" "$port" "$i"
  done
} > "$config"

start_daemon() {
  "$build/feedwatch" run -c "$config" > /dev/null 2>> "$work/daemon.log" &
  daemon_pid=$!
}

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$daemon_pid/status" 2>/dev/null || echo 0; }
fds() { ls "/proc/$daemon_pid/fd" 2>/dev/null | wc -l; }

echo "soak: $feeds feeds, $minutes minutes, SIGKILL every $kill_every minutes; files in $work" >&2
start_daemon
started=$(date +%s)
samples="$work/samples.csv"
echo "second,life_second,rss_kb,fds" > "$samples"
life_start=$started
kills=0
end=$((started + minutes * 60))
frozen=0
while (( $(date +%s) < end )); do
  sleep 10
  now=$(date +%s)
  echo "$((now - started)),$((now - life_start)),$(rss_kb),$(fds)" >> "$samples"
  # The last two minutes: the feeds stop changing and the daemon catches up.
  if (( frozen == 0 && now >= end - 120 )); then
    curl -sf -X POST -o /dev/null "http://127.0.0.1:$port/freeze"
    frozen=1
  fi
  if (( now - life_start >= kill_every * 60 && now < end - 150 )); then
    kill -9 "$daemon_pid"
    wait "$daemon_pid" 2>/dev/null || true
    kills=$((kills + 1))
    start_daemon
    life_start=$(date +%s)
  fi
done
# Drain: the feeds are frozen; give the daemon up to DRAIN minutes (default 10) more to deliver
# what it owes (a webhook that failed three times in a row waits 30 + 60 + 120 s).
drain_end=$(($(date +%s) + ${DRAIN:-10} * 60))
while (( $(date +%s) < drain_end )) && ! "$python" "$root/bench/soak_report.py" --check "$work"; do
  sleep 5
done
drained=$(($(date +%s) - end))
final_rss=$(rss_kb)
final_fds=$(fds)
kill -TERM "$daemon_pid"
wait "$daemon_pid" 2>/dev/null && stop_status=0 || stop_status=$?
daemon_pid=""

{
  echo "feeds=$feeds"
  echo "minutes=$minutes"
  echo "kills=$kills"
  echo "final_rss_kb=$final_rss"
  echo "final_fds=$final_fds"
  echo "stop_status=$stop_status"
  echo "drained_seconds=$drained"
} > "$work/run.txt"
"$python" "$root/bench/soak_report.py" "$work"
