#!/bin/bash
# Whole-daemon latency: how long after an item is published does `feedwatch run` fetch it?
# bench/latency_server.py serves a profile's feeds on 127.0.0.1, each publishing at random times
# (a seeded Poisson process); the daemon runs MINUTES on a fresh state with the fixed schedule
# (min_interval = interval), then MINUTES more on another fresh state with the adaptive one
# (min_interval left at its default). For each run and class of feeds it prints, as markdown,
# the median and p90 time from publication to the first 200 that carried the item, requests per
# feed per hour, the shortest gap between two polls of one feed, and feedwatch's CPU time.
#
#   bench/latency-bench.sh [PROFILE] [MINUTES]
#     (PROFILE harness, 30 feeds at interval 4m, MINUTES 9; or mix, 300 feeds at 10m, 30 minutes;
#      needs a release build)
#
# FIXED_EXTRA replaces the fixed run's extra [defaults] line (default `min_interval = "4m"` or
# "10m"); `FIXED_EXTRA=` runs a binary that does not know min_interval. Items published in the
# last MARGIN seconds of a run (default the interval + 10% jitter + 10 s) are not counted: they
# might not have been polled yet; nor are those published before their feed's first poll (the
# start spreads first polls over two minutes). A new profile goes in latency_server.py's
# PROFILES and below. KEEP=1 keeps the work folder (server logs, configs, daemon logs).
set -euo pipefail

profile="${1:-harness}"
case "$profile" in
  harness) interval=4m; interval_s=240; default_minutes=9 ;;
  mix) interval=10m; interval_s=600; default_minutes=30 ;;
  *) echo "unknown profile $profile (harness or mix)" >&2; exit 64 ;;
esac
minutes="${2:-$default_minutes}"
fixed_extra="${FIXED_EXTRA-min_interval = \"$interval\"}"
margin="${MARGIN:-$((interval_s * 11 / 10 + 10))}"
(( minutes * 60 > margin )) ||
  echo "latency-bench: $minutes minutes are within the $margin s margin: no item will be counted" >&2
bench_name=latency-bench
# shellcheck source=bench/python-server.sh
source "$(dirname "$0")/python-server.sh"

"$python" "$root/bench/latency_server.py" --port "$port" --profile "$profile" --log "$work" &
server_pid=$!
# Any answer will do (/ is a 404): the server is up once it has drawn the schedule.
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break || sleep 0.1; done
feeds=$(cut -f1 "$work/schedule.tsv" | sort -un | wc -l)

# run LABEL EXTRA: the daemon for MINUTES on a fresh state, EXTRA added to [defaults]; leaves
# the run's window (unix times), CPU seconds and exit status in $work/LABEL/run.txt.
run() {
  local label="$1" extra="$2" config="$work/$1/feedwatch.toml"
  mkdir -p "$work/$label"
  {
    echo '[daemon]'
    echo "state_dir = \"$work/$label/state\""
    echo 'log_level = "warn"'
    echo '[http]'
    echo 'timeout = "10s"'
    echo '[defaults]'
    echo "interval = \"$interval\""
    echo 'initial_lookback = "2h"'
    [[ -n "$extra" ]] && echo "$extra"
    echo '[[notify]]'
    echo 'name = "console"'
    echo 'type = "console"'
    echo '[[watch]]'
    echo 'name = "w"'
    echo 'query = "Darchiev"'
    for ((i = 0; i < feeds; i++)); do
      printf '[[feed]]\nname = "feed-%03d"\nurl = "http://127.0.0.1:%s/feed/%d.xml"\n' "$i" "$port" "$i"
    done
  } > "$config"
  echo "latency-bench: $label run, $minutes minutes; files in $work" >&2
  local from to end stat stop_status
  from=$(date +%s.%N)
  "$build/feedwatch" run -c "$config" > "$work/$label/console.txt" 2> "$work/$label/daemon.log" &
  daemon_pid=$!
  end=$(($(date +%s) + minutes * 60))
  while (( $(date +%s) < end )); do
    kill -0 "$daemon_pid" 2>/dev/null || { echo "feedwatch exited early:" >&2; cat "$work/$label/daemon.log" >&2; exit 1; }
    sleep 1
  done
  # utime and stime (fields 14 and 15; the name in field 2 has no space), all threads.
  read -r -a stat < "/proc/$daemon_pid/stat"
  to=$(date +%s.%N)
  kill -TERM "$daemon_pid"
  wait "$daemon_pid" && stop_status=0 || stop_status=$?
  daemon_pid=""
  echo "$from $to $(awk "BEGIN {printf \"%.2f\", (${stat[13]} + ${stat[14]}) / $(getconf CLK_TCK)}")" \
    "$stop_status" > "$work/$label/run.txt"
}

run fixed "$fixed_extra"
run adaptive ""
kill -TERM "$server_pid"
wait "$server_pid" || true
server_pid=""

echo "# feedwatch latency: profile $profile, $feeds feeds, interval $interval, 2 x $minutes minutes"
echo
echo "$("$build/feedwatch" --version), $(date -u '+%Y-%m-%d %H:%M UTC'); machine: $(nproc) CPUs," \
  "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
declare -A heading=([fixed]="fixed schedule: ${fixed_extra:-no min_interval line}"
                    [adaptive]="adaptive schedule: min_interval at its default")
for label in fixed adaptive; do
  read -r from to cpu stop_status < "$work/$label/run.txt"
  echo
  echo "## ${heading[$label]}"
  echo
  echo "feedwatch CPU $cpu s, exit status $stop_status on SIGTERM."
  echo
  "$python" "$root/bench/latency_server.py" --report "$work" --from "$from" --to "$to" --margin "$margin"
done
