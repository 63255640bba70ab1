#!/usr/bin/env bash
# Stripe's own mock server (stripe-mock, Stripe's OpenAPI spec behind a real HTTP API) for the
# connector's contract test (npm run test:stripe-mock).
#
#   .ci/stripe-mock.sh start   installs stripe-mock if missing, starts it on a free loopback port,
#                              waits until it answers and prints its URL (http://127.0.0.1:PORT)
#   .ci/stripe-mock.sh stop    stops the instance started by `start`
#
# Typical use:  url="$(.ci/stripe-mock.sh start)"; STRIPE_MOCK_URL="$url" npm run test:stripe-mock; .ci/stripe-mock.sh stop
#
# The Go toolchain builds it once (`go install`, through the Go module proxy); GOPATH and the module
# cache live under STRIPE_MOCK_CACHE (default .cache/go in the repository, git-ignored), a folder a
# CI run can keep between runs. Everything but the URL goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION="${STRIPE_MOCK_VERSION:-v0.203.0}"
CACHE="$(mkdir -p "${STRIPE_MOCK_CACHE:-.cache/go}" && cd "${STRIPE_MOCK_CACHE:-.cache/go}" && pwd)"
BIN="$CACHE/bin/stripe-mock"
STATE="$CACHE/stripe-mock.run"
LOG="$STATE/stripe-mock.log"

log() { printf '%s\n' "$*" >&2; }

install() {
  if [ -x "$BIN" ] && [ "$(cat "$CACHE/bin/stripe-mock.version" 2>/dev/null)" = "$VERSION" ]; then return; fi
  command -v go >/dev/null || { log "stripe-mock: Go is needed to build it (apt-get install golang-go, or https://go.dev/dl)"; exit 1; }
  log "stripe-mock: building $VERSION with $(go version)"
  GOPATH="$CACHE" GOMODCACHE="$CACHE/pkg/mod" GOFLAGS=-modcacherw go install "github.com/stripe/stripe-mock@$VERSION" >&2
  echo "$VERSION" >"$CACHE/bin/stripe-mock.version"
}

start() {
  install
  stop_quietly
  mkdir -p "$STATE"
  # Port 0: the system picks free ports (HTTPS too, so nothing listens on the default 12112).
  "$BIN" -http-addr 127.0.0.1:0 -https-addr 127.0.0.1:0 >"$LOG" 2>&1 &
  echo $! >"$STATE/pid"
  local url="" i
  for i in $(seq 1 100); do
    if ! kill -0 "$(cat "$STATE/pid")" 2>/dev/null; then log "stripe-mock exited:"; cat "$LOG" >&2; exit 1; fi
    url="$(sed -n 's/^Listening for HTTP at address: \(127\.0\.0\.1:[0-9]*\)$/http:\/\/\1/p' "$LOG" | head -n 1)"
    # Ready when it answers an API request (any key is accepted; a missing key is refused).
    if [ -n "$url" ] && curl -fsS -u sk_test_123: "$url/v1/customers/cus_123" >/dev/null 2>&1; then
      echo "$url" >"$STATE/url"
      log "stripe-mock $VERSION ready at $url (pid $(cat "$STATE/pid"), log $LOG)"
      echo "$url"
      return
    fi
    sleep 0.1
  done
  log "stripe-mock did not answer within 10 s:"
  cat "$LOG" >&2
  stop_quietly
  exit 1
}

stop_quietly() {
  if [ -f "$STATE/pid" ]; then
    kill "$(cat "$STATE/pid")" 2>/dev/null || true
    rm -f "$STATE/pid" "$STATE/url"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop_quietly ;;
  install) install ;;
  *) log "usage: $0 start|stop|install"; exit 2 ;;
esac
