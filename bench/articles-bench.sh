#!/bin/bash
# Whole-daemon cost of fetch_articles: N lede-only feeds of 20 items each on one loopback host
# (nginx), every item's link a page cut from tests/data/articles/dev (real page shapes, 20-90
# KB), the example watches, default [http] limits (concurrency 32, per_host 2). `feedwatch once`
# runs cold with fetch_articles on, then again (nothing new: no page), and prints wall time,
# CPU, peak RSS and the pages nginx served. Nothing leaves 127.0.0.1.
#
#   bench/articles-bench.sh [N]     (N defaults to 50; needs nginx-light, time, a release build)
set -euo pipefail
n="${1:-50}"
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD:-$root/build/release}"
port="${PORT:-18232}"
work="$(mktemp -d /tmp/feedwatch-articles-bench.XXXXXX)"
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"
trap 'kill "$(cat "$work/nginx.pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$work"' EXIT

/usr/bin/python3 - "$root/tests/data/articles/dev" "$work/www" "$n" "$port" <<'PY'
import os, sys, email.utils, time
dev, www, n, port = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
pages = [open(os.path.join(dev, f), 'rb').read() for f in sorted(os.listdir(dev)) if f.endswith('.html')]
os.makedirs(os.path.join(www, 'p'))
now = time.time()
for f in range(n):
    items = []
    for i in range(20):
        name = f'{f:05d}-{i:02d}.html'
        with open(os.path.join(www, 'p', name), 'wb') as out:
            out.write(pages[(f * 20 + i) % len(pages)])
        date = email.utils.formatdate(now - 60 * (f % 7 + i), usegmt=True)
        items.append(f'<item><title>Story {f}-{i}</title><link>http://127.0.0.1:{port}/p/{name}'
                     f'</link><guid>{f}-{i}</guid><pubDate>{date}</pubDate><description>The '
                     f'delegations met on Friday, officials said.</description></item>')
    with open(os.path.join(www, f'feed-{f:05d}.xml'), 'w') as out:
        out.write('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>'
                  f'Agency {f}</title>' + ''.join(items) + '</channel></rss>')
PY
chmod -R a+rX "$work"
mkdir -p "$work/logs"
cat > "$work/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx.pid;
error_log $work/logs/error.log;
events { worker_connections 4096; }
http {
  access_log $work/logs/access.log;
  types { application/rss+xml xml; text/html html; }
  server { listen 127.0.0.1:$port; root $work/www; etag on; }
}
CONF
"$nginx_bin" -c "$work/nginx.conf" -p "$work"
{
  echo "[daemon]"; echo "state_dir = \"$work/state\""; echo 'log_level = "warn"'
  echo '[defaults]'; echo 'fetch_articles = true'
  sed -n '/^\[terms\]/,$p' "$root/config/feedwatch.example.toml"
  for ((i = 0; i < n; i++)); do
    printf '[[feed]]\nname = "feed-%05d"\nurl = "http://127.0.0.1:%s/feed-%05d.xml"\n' "$i" "$port" "$i"
  done
} > "$work/feedwatch.toml"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
for label in cold again; do
  : > "$work/logs/access.log"
  TIMEFORMAT="%3R %3U %3S"
  { time /usr/bin/time -f "%M" -o "$work/rss" "$build/feedwatch" once -c "$work/feedwatch.toml" \
      > /dev/null 2> "$work/logs/$label.log"; } 2> "$work/time"
  read -r wall user sys < "$work/time"
  printf '%-5s %5d feeds: wall %7.2f s, CPU %6.2f s, peak RSS %5.1f MB, pages served %d\n' \
    "$label" "$n" "$wall" "$(echo "$user + $sys" | bc)" "$(echo "$(cat "$work/rss") / 1024" | bc -l)" \
    "$(grep -c ' /p/' "$work/logs/access.log" || true)"
done
