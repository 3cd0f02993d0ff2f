#!/usr/bin/env bash
# `make test`: starts the local stack in test mode, runs every test target against it, stops it.
# Integration tests require the stack (CHATBOTS_REQUIRE_INTEGRATION=1): they fail, never skip, without it.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${TEST_STACK_DIR:-var/test}
BIN=${TEST_BIN_DIR:-.build/debug}
trap 'scripts/stack.sh stop "$DIR" >/dev/null 2>&1 || true' EXIT
started=$(date +%s)
scripts/stack.sh start "$DIR" "$BIN" test
set -a; source "$DIR/stack.env"; set +a
export CHATBOTS_REQUIRE_INTEGRATION=1
set +e
# Self-tests of the fake servers (each starts its own fakes on free ports; independent of the stack).
{ python3 fakes/test_fakes.py && python3 fakes/test_google_fake.py; } >"$DIR/fakes-test.log" 2>&1; fakes_status=$?
echo "make test: fake self-tests: $(grep -E 'passed, [0-9]+ failed' "$DIR/fakes-test.log" | tr '\n' ' ')(log: $DIR/fakes-test.log)"
[ "$fakes_status" = 0 ] || grep -A25 '^FAIL' "$DIR/fakes-test.log"
# The production smoke test (scripts/prod-smoke.sh): the README's production steps on a scratch root against this
# stack, before any suite starts drainers of its own (its cron lines must be the ones that drain its webhooks).
smoke_status=0
if [ -z "${SWIFT_TEST_ARGS:-}" ]; then
  scripts/prod-smoke.sh "$DIR" "$BIN" >"$DIR/prod-smoke.log" 2>&1 || smoke_status=$?
  echo "make test: production smoke test: $(tail -n 1 "$DIR/prod-smoke.log") (log: $DIR/prod-smoke.log)"
  [ "$smoke_status" = 0 ] || cat "$DIR/prod-smoke.log"
fi
# Everything except the suites that must run alone, in parallel; then each of those by itself: the one that restarts
# the shared Redis and PostgreSQL (no other test may see them go away), and the dashboard's, which checks the figures
# it shows against the shared database (no other test may change them meanwhile). Each alone run must run at least
# one test: a renamed suite must not vanish. SWIFT_TEST_ARGS (e.g. --filter X) replaces all with one run of what it selects.
ALONE=(StackRestartEndToEndTests OpsDashboardTests)
if [ -n "${SWIFT_TEST_ARGS:-}" ]; then
  swift test --skip-build $SWIFT_TEST_ARGS 2>&1 | tee "$DIR/swift-test.log"
  status=${PIPESTATUS[0]}
else
  swift test --skip-build $(printf -- '--skip %s ' "${ALONE[@]}") 2>&1 | tee "$DIR/swift-test.log"
  status=${PIPESTATUS[0]}
  for suite in "${ALONE[@]}"; do
    swift test --skip-build --filter "$suite" 2>&1 | tee "$DIR/swift-test-$suite.log"
    alone_status=${PIPESTATUS[0]}
    grep -qE 'Test run with [1-9][0-9]* tests? .*passed' "$DIR/swift-test-$suite.log" \
      || { echo "make test: the $suite run ran no test"; alone_status=1; }
    [ "$status" = 0 ] && status=$alone_status
  done
fi
[ "$status" = 0 ] && status=$fakes_status
[ "$status" = 0 ] && status=$smoke_status
set -e
echo "make test: tests took $(( $(date +%s) - started ))s including the stack start; exit $status"
exit "$status"
