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
swift test --skip-build ${SWIFT_TEST_ARGS:-} 2>&1 | tee "$DIR/swift-test.log"
status=${PIPESTATUS[0]}
set -e
echo "make test: tests took $(( $(date +%s) - started ))s including the stack start; exit $status"
exit "$status"
