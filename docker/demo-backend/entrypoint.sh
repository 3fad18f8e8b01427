#!/bin/sh
# Entrypoint of the Switchyard demo backend: writes a page naming this
# backend, then serves it with busybox httpd.
#
#   BACKEND_NAME  name shown on the page (default: the container hostname)
#   PORT          port to listen on inside the container (default: 80)
set -eu

WEB_ROOT=/www
host=$(hostname)
name=${BACKEND_NAME:-$host}
port=${PORT:-80}

case $port in
  ''|*[!0-9]*) echo "demo-backend: PORT must be a number, got '$port'" >&2; exit 64 ;;
esac
if [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then
  echo "demo-backend: PORT out of range: $port" >&2
  exit 64
fi

# The name comes from user input; keep the page valid HTML and keep the
# greeting on a single line so clients can grep for it.
html_escape() {
  printf '%s' "$1" | tr -d '\r\n' \
    | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g'
}
name_html=$(html_escape "$name")
host_html=$(html_escape "$host")

mkdir -p "$WEB_ROOT"
cat >"$WEB_ROOT/index.html" <<HTML
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Switchyard demo backend - $name_html</title>
</head>
<body>
<h1>Hello from Backend: $name_html</h1>
<p>Container: $host_html</p>
</body>
</html>
HTML
# No extension on purpose: the URL is /health, which load balancer checks
# and tests poll for a 200.
printf 'ok\n' >"$WEB_ROOT/health"

echo "demo-backend: serving '$name' on port $port" >&2

# busybox httpd installs no SIGTERM handler, and the kernel drops default-
# action signals sent to PID 1, so with a plain `exec` `docker stop` would
# wait out its full timeout and then SIGKILL. Instead this shell stays PID 1,
# runs httpd as a child (where SIGTERM's default action applies), and
# forwards stop signals to it.
httpd_pid=
stopping=0
trap 'stopping=1; [ -z "$httpd_pid" ] || kill -TERM "$httpd_pid" 2>/dev/null || true' TERM INT

busybox httpd -f -v -p "$port" -h "$WEB_ROOT" &
httpd_pid=$!
# A signal that arrived before the pid was known has nobody to reach yet.
if [ "$stopping" -eq 1 ]; then
  kill -TERM "$httpd_pid" 2>/dev/null || true
fi

# `wait` returns as soon as a trapped signal is handled, possibly before
# httpd is gone, hence the second wait. A requested stop counts as a clean
# exit; otherwise httpd's own status (e.g. port in use) is passed on.
status=0
wait "$httpd_pid" || status=$?
if [ "$stopping" -eq 1 ]; then
  wait "$httpd_pid" 2>/dev/null || true
  exit 0
fi
exit "$status"
