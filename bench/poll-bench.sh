#!/bin/bash
# Whole-daemon polling benchmark: N realistic feeds (about 50 items, 20-60 KB each) served by
# nginx on 127.0.0.1 with ETag and Last-Modified; `feedwatch once` runs twice on them, cold
# (every feed new: fetch, parse, match, store) and warm (every feed answers 304), and the
# wall time, CPU seconds and peak RSS of each run are printed.
#
#   bench/poll-bench.sh [--single-host] [--hosts H] [--bodies P] [--items I] [--ttl M]
#                       [--steady S] [--postgresql [--instances K] [--run]] [--readers] [N]
#     (N defaults to 1000; needs nginx-light, time, postgresql-15 and a release build)
#
# --readers runs two other feed readers on the same feeds after feedwatch, cold (a new cache)
# and warm (the same cache again) each, with their defaults: newsboat (`newsboat -x reload`:
# C++, libcurl, SQLite) and rss2email (`r2e run --no-send`: Python, feedparser).
# (apt-get install newsboat rss2email)
#
# --bodies P gives every item a body of P paragraphs (content:encoded / Atom content), as
# full-text feeds carry, so that matching reads whole articles passage by passage. --items I
# gives every feed I items instead of 50, and --ttl M makes the RSS feeds say `<ttl>M</ttl>`
# (minutes; 15 by default, none with 0).
#
# --postgresql keeps the state in a throwaway PostgreSQL cluster (tests/support/pg-cluster) on a
# Unix socket, and counts the server's CPU beside feedwatch's. With --instances K > 1 (or with
# --run), K `feedwatch run` instances share it (interval 3m): the cold cycle ends when every feed has
# been polled once, the warm one when every feed has answered 304 once; the CPU of the
# instances and of the server is read from /proc at those moments. (`once` polls every feed
# whatever the leases say: a single instance's tool.)
#
# --steady S measures the steady state instead: the feeds are polled every minute (a fixed
# schedule), and once every feed has answered 304, the CPU of the instances (and of the server,
# with --postgresql) over S seconds is divided by the requests nginx answered in them. Without
# --postgresql, one `feedwatch run` keeps its state in SQLite. With --interval D the feeds are
# polled every D instead (their `<ttl>15</ttl>` stretches that to at most 4 D); with --publish P
# one feed, at random, gets a new item every P seconds during the window. The steady state also
# reports how often each feed was polled (the shortest gap between two polls of one feed), how
# late feeds were polled (sampled every 5 s: the mean number of feeds past their due time over
# the poll rate, by Little's law, and the latest seen), the peak RSS of each instance and, with
# --postgresql, the server's commits, row writes and WAL per second, and the server's CPU by
# process (connections, checkpointer, autovacuum...); on PostgreSQL the window starts after a
# VACUUM ANALYZE and a CHECKPOINT (the cold cycle's writes are not the steady state's) and
# ends with a CHECKPOINT (the window's own writes are). --statements (with
# --postgresql) loads pg_stat_statements and lists the statements of the window, by calls per
# 1,000 polls.
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
items=50
ttl=15
interval=1m
publish=0
statements=""
readers=""
while [[ "${1:-}" == --* ]]; do
  case "$1" in
    --single-host) single_host=1 ;;
    --bodies) bodies="$2"; shift ;;
    --items) items="$2"; shift ;;
    --ttl) ttl="$2"; shift ;;
    --interval) interval="$2"; shift ;;
    --publish) publish="$2"; shift ;;
    --statements) statements=1 ;;
    --readers) readers=1 ;;
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
if [[ -n "$readers" ]]; then
  for tool in newsboat r2e; do
    command -v "$tool" > /dev/null || { echo "missing $tool (apt-get install newsboat rss2email)" >&2; exit 69; }
  done
fi

"$build/bench/feedwatch_make_feeds" "$work/www" "$n" "$bodies" "$items" "$ttl"
chmod -R a+rX "$work"  # nginx workers may run as www-data

mkdir -p "$work/logs"
cat > "$work/nginx.conf" <<EOF
worker_processes 2;
pid $work/nginx.pid;
error_log $work/logs/error.log;
events { worker_connections 4096; }
http {
  log_format polls '\$msec \$status \$uri';
  access_log $( ((steady > 0)) && echo "$work/logs/access.log polls" || echo off);
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
  PG_OPTIONS="${statements:+-c shared_preload_libraries=pg_stat_statements}" \
    "$root/tests/support/pg-cluster" start "$pg"
  psql -q -h "$pg" -U postgres -d postgres -c "CREATE DATABASE bench"
  if [[ -n "$statements" ]]; then
    psql -q -h "$pg" -U postgres -d bench -c "CREATE EXTENSION pg_stat_statements"
  fi
fi
sql() {
  if [[ -n "$postgresql" ]]; then
    psql -qtA -h "$pg" -U postgres -d bench -c "$1"
  else
    sqlite3 "$work/state/feedwatch.db" "$1" 2>/dev/null || echo 0  # not created yet
  fi
}

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
    echo "interval = \"$interval\""
    echo "min_interval = \"$interval\""
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

# The server's CPU by process, one "pid seconds kind" line each: every live child of the
# postmaster (kind from its title: a connection to the bench database, an autovacuum worker, a
# background process), the postmaster itself, and the children it has reaped ("ended").
pg_cpu_parts() {
  local pm child title
  pm="$(head -1 "$pg/data/postmaster.pid")"
  for child in $(pgrep -P "$pm"); do
    title="$(tr '\0' ' ' < "/proc/$child/cmdline" 2>/dev/null)" || continue
    case "$title" in
      "postgres: postgres bench "*) title="connections" ;;
      "postgres: autovacuum worker"*) title="autovacuum-workers" ;;
      *) title="$(echo "${title#postgres: }" | awk '{ print $2 == "" ? $1 : $1 "-" $2 }')" ;;
    esac
    echo "$child $(awk -v t="$ticks" '{ printf "%.3f", ($14 + $15) / t }' "/proc/$child/stat" 2>/dev/null || echo 0) $title"
  done
  awk -v t="$ticks" -v pm="$pm" \
    '{ printf "%s %.3f postmaster\nended %.3f ended-children\n", pm, ($14 + $15) / t, ($16 + $17) / t }' \
    "/proc/$pm/stat"
}

# Runs "$@" (its errors to logs/LABEL.log) and prints its wall time, CPU and peak RSS.
timed() {
  local label="$1"
  shift
  # CPU to the millisecond from bash's `time` (GNU time rounds to 10 ms, too coarse for a warm
  # cycle of 1,000 feeds); peak RSS from GNU time.
  local TIMEFORMAT="%3R %3U %3S"
  { time /usr/bin/time -f "%M" -o "$work/rss" "$@" > /dev/null 2> "$work/logs/$label.log"; } 2> "$work/time"
  read -r wall user sys < "$work/time"
  read -r rss < "$work/rss"
  printf '%-5s %6d feeds: wall %7.3f s, CPU %7.3f s (user %.3f + sys %.3f), peak RSS %5.1f MB' \
    "$label" "$n" "$wall" "$(echo "$user + $sys" | bc)" "$user" "$sys" "$(echo "$rss / 1024" | bc -l)"
}

run() {
  local label="$1"
  local pg_before
  pg_before="$(pg_cpu)"
  timed "$label" "$build/feedwatch" once -c "$config"
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

# The server's commits, rows written and WAL bytes so far (zeros on SQLite).
pg_writes() {
  if [[ -n "$postgresql" ]]; then
    sql "SELECT xact_commit, tup_inserted + tup_updated + tup_deleted,
                pg_current_wal_lsn() - '0/0'::pg_lsn FROM pg_stat_database WHERE datname = 'bench'"
  else
    echo "0|0|0"
  fi
}
# Every 5 s of the window: how many feeds are past their due time, and the latest of them, in
# seconds. One session for the whole window (a connection per sample would be counted as the
# server's work).
sample_overdue() {
  local now="extract(epoch FROM now())::bigint" t
  [[ -n "$postgresql" ]] || now="CAST(strftime('%s', 'now') AS INTEGER)"
  [[ -n "$postgresql" ]] || echo ".timeout 5000"
  for ((t = 0; t < steady; t += 5)); do
    echo "SELECT count(*), coalesce(max(t.now - next_due_at), 0)
          FROM feeds, (SELECT $now AS now) t WHERE next_due_at < t.now;"
    sleep 5
  done
}
# Every `publish` seconds a random feed gets a new newest item (its first item's ids change).
publish_items() {
  local k=0
  while true; do
    k=$((k + 1))
    sed -i -E "s#(urn:outlet:|2025:|news/)([0-9]+-0)(-p[0-9]+)?([<?\"])#\\1\\2-p$k\\4#g" \
      "$work/www/$(printf 'feed-%05d.xml' $(((RANDOM * 32768 + RANDOM) % n)))"
    sleep "$publish"
  done
}
# The steady state: S seconds once every feed has answered 304.
steady_state() {
  local fw pgc writes lines
  if [[ -n "$postgresql" ]]; then
    # What the cold cycle wrote (50 items a feed) is checkpointed and its tables vacuumed
    # before the window, as a server that has run a while did long ago; the window pays for
    # its own writes: the checkpoint at its end writes the pages it dirtied.
    sql "VACUUM ANALYZE" > /dev/null
    sql "CHECKPOINT" > /dev/null
  fi
  fw="$(instances_cpu)"
  pgc="$(pg_cpu)"
  [[ -z "$postgresql" ]] || pg_cpu_parts > "$work/parts-before"
  writes="$(pg_writes)"
  lines="$(wc -l < "$work/logs/access.log")"
  [[ -z "$statements" ]] || sql "SELECT pg_stat_statements_reset()" > /dev/null
  if [[ -n "$postgresql" ]]; then
    sample_overdue | psql -qtA -h "$pg" -U postgres -d bench > "$work/overdue" &
  else
    sample_overdue | sqlite3 "$work/state/feedwatch.db" > "$work/overdue" &
  fi
  local sampler=$!
  local publisher=""
  if [[ "$publish" != 0 ]]; then publish_items & publisher=$!; fi
  sleep "$steady"
  [[ -z "$publisher" ]] || kill "$publisher"
  wait "$sampler"  # its last sample is taken as the window ends
  [[ -z "$postgresql" ]] || sql "CHECKPOINT" > /dev/null
  fw="$(echo "$(instances_cpu) - $fw" | bc)"
  pgc="$(echo "$(pg_cpu) - $pgc" | bc)"
  [[ -z "$postgresql" ]] || pg_cpu_parts > "$work/parts-after"
  local after
  after="$(pg_writes)"
  tail -n "+$((lines + 1))" "$work/logs/access.log" > "$work/window.log"
  local requests
  requests="$(wc -l < "$work/window.log")"
  printf 'steady %6d feeds, %d instances, %d s: %d requests (%s); CPU per 1,000 polls: feedwatch %.3f s + server %.3f s = %.3f s\n' \
    "$n" "$instances" "$steady" "$requests" \
    "$(awk '{ s[$2]++ } END { for (k in s) printf "%s%d %s", (c++ ? ", " : ""), s[k], k }' "$work/window.log")" \
    "$(echo "$fw * 1000 / $requests" | bc -l)" "$(echo "$pgc * 1000 / $requests" | bc -l)" \
    "$(echo "($fw + $pgc) * 1000 / $requests" | bc -l)"
  # Gaps between two polls of a feed, over everything since the cold cycle ended.
  awk '{ if ($3 in last && (min == "" || $1 - last[$3] < min)) min = $1 - last[$3]; last[$3] = $1 }
       END { printf "  shortest gap between two polls of one feed since the warm cycle began: %.1f s\n", min }' \
    "$work/logs/access.log"
  awk '{ n[$3]++ } END { for (f in n) { if (n[f] > most) most = n[f]; total++ }
         printf "  feeds polled in the window: %d, at most %d times each\n", total, most }' "$work/window.log"
  awk -F'|' -v polls="$requests" -v seconds="$steady" \
    '{ overdue += $1; samples++; if ($2 > latest) latest = $2 }
     END { printf "  past due: %.1f feeds on average, so a poll %.2f s late on average; latest seen %d s\n",
           overdue / samples, overdue / samples / (polls / seconds), latest }' "$work/overdue"
  if [[ -n "$postgresql" ]]; then
    awk -F'|' -v before="$writes" -v seconds="$steady" \
      'BEGIN { split(before, b, "|") }
       { printf "  server: %.0f commits/s, %.0f rows written/s, %.1f KB of WAL/s\n",
         ($1 - b[1]) / seconds, ($2 - b[2]) / seconds, ($3 - b[3]) / 1024 / seconds }' <<< "$after"
  fi
  if [[ -n "$postgresql" ]]; then
    # A process that ended in the window counts under "ended", less what it had used before.
    awk -v polls="$requests" \
      'NR == FNR { before[$1] = $2; next }
       { cpu[$3] += $2 - ($1 in before ? before[$1] : 0); delete before[$1] }
       END { for (pid in before) cpu["ended-children"] -= before[pid] }
       END { printf "  server CPU per 1,000 polls by process:"
             for (k in cpu) printf " %s %.3f s,", k, cpu[k] * 1000 / polls; printf "\n" }' \
      "$work/parts-before" "$work/parts-after"
  fi
  if [[ -n "$statements" ]]; then
    echo "  statements in the window (calls per 1,000 polls, mean ms, rows per call):"
    sql "SELECT round(calls * 1000.0 / $requests, 1), round(mean_exec_time::numeric, 3),
                round(rows::numeric / calls, 1), left(regexp_replace(query, '\s+', ' ', 'g'), 110)
         FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'bench')
           AND query NOT LIKE '%pg_stat%' AND query NOT LIKE 'SELECT count(*), coalesce(max(t.now%'
         ORDER BY calls DESC LIMIT 15" | sed 's/^/    /'
  fi
  local pid rss=""
  for pid in "${daemons[@]}"; do rss+="$(awk '/VmHWM/ { printf " %.0f", $2 / 1024 }' "/proc/$pid/status")"; done
  echo "  peak RSS per instance (MB):$rss"
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
    steady_state
  fi
fi
if [[ -n "$readers" ]]; then
  mkdir -p "$work/newsboat" "$work/r2e"
  for ((i = 0; i < n; i++)); do
    printf 'http://127.0.0.1:%s/feed-%05d.xml\n' "$((port + i % hosts))" "$i"
  done > "$work/newsboat/urls"
  touch "$work/newsboat/config"
  newsboat=(env HOME="$work/newsboat" newsboat -q -u "$work/newsboat/urls"
    -c "$work/newsboat/cache.db" -C "$work/newsboat/config" -x reload)
  timed newsboat-cold "${newsboat[@]}"; echo
  timed newsboat-warm "${newsboat[@]}"; echo
  r2e=(env HOME="$work/r2e" r2e -c "$work/r2e/config" -d "$work/r2e/data.json")
  "${r2e[@]}" new bench@localhost > /dev/null 2>&1
  {
    echo '<?xml version="1.0"?><opml version="1.0"><body>'
    awk '{ printf "<outline type=\"rss\" text=\"feed-%05d\" xmlUrl=\"%s\"/>\n", NR - 1, $0 }' \
      "$work/newsboat/urls"
    echo '</body></opml>'
  } > "$work/r2e/feeds.opml"
  "${r2e[@]}" opmlimport "$work/r2e/feeds.opml" > /dev/null 2>&1
  timed r2e-cold "${r2e[@]}" run --no-send; echo
  timed r2e-warm "${r2e[@]}" run --no-send; echo
fi
statuses="$(sql 'SELECT last_status, count(*) FROM feeds GROUP BY 1')"
echo "feed statuses after the warm run: ${statuses//$'\n'/, }"
