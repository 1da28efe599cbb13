# Sourced by the bench scripts that run feedwatch against a Python server of their own on
# 127.0.0.1 (soak.sh, latency-bench.sh): where things are, a work folder named after
# `bench_name`, and a cleanup on exit that stops the daemon (daemon_pid) and the server
# (server_pid) and removes the work folder unless KEEP is set. BUILD and PORT override the
# build folder and the server's port.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD:-$root/build/release}"
port="${PORT:-18232}"
work="$(mktemp -d "/tmp/feedwatch-$bench_name.XXXXXX")"
python=/usr/bin/python3
daemon_pid=""
server_pid=""

cleanup() {
  [[ -n "$daemon_pid" ]] && kill -9 "$daemon_pid" 2>/dev/null || true
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null || true
  [[ -z "${KEEP:-}" ]] && rm -rf "$work"
}
trap cleanup EXIT

[[ -x "$build/feedwatch" ]] || { echo "missing $build/feedwatch (cmake --workflow --preset release)" >&2; exit 69; }
