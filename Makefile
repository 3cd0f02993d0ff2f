# chatbots — see README.md. Every target installs what it needs; nothing is set up by hand.
SHELL := /bin/bash
PREFIX ?= /usr/local
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# prometheus: its promtool checks the live /metrics output in a test (MonitoringTests).
DEB_PACKAGES := libfcgi-dev libfcgi-bin libhiredis-dev libpq-dev libcurl4-openssl-dev pkg-config \
	nginx redis-server redis-tools postgresql postgresql-client spawn-fcgi python3 curl ca-certificates util-linux \
	prometheus

.PHONY: all deps build test run migrate install clean bench drill fuzz

all: build

# Installs the Debian packages that are missing (and only those).
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "make: installing Debian packages:" $$missing; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@command -v $(SWIFT) >/dev/null || { echo "make: the Swift 6 toolchain is required (swift not on PATH)"; exit 1; }
	@# The Google fake verifies RS256 assertions with `cryptography`: the Debian package, else pip.
	@python3 -c 'import cryptography' 2>/dev/null || { echo "make: installing python3-cryptography"; \
	  { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
	    python3-cryptography >/dev/null; } && python3 -c 'import cryptography' 2>/dev/null \
	  || python3 -m pip install --quiet cryptography || python3 -m pip install --quiet --break-system-packages cryptography; }

build: deps
	$(SWIFT) build -c release

# Unit tests and integration tests against real PostgreSQL, Redis and nginx started on free loopback ports.
test: deps
	$(SWIFT) build --build-tests
	scripts/run-tests.sh

# The whole service on loopback in the foreground (sandbox fakes for the external APIs); Ctrl-C stops it.
run: build
	scripts/run-local.sh

# A bad production week in a few minutes on a stack of its own (var/drill): customers ordering through nginx,
# duplicate webhooks, drainers killed -9, Redis killed, PostgreSQL down DRILL_PG_OUTAGE s (60), a failing and
# rate-limiting Chat2Desk; checks every guarantee and prints the figures. DRILL_CUSTOMERS (300) sets the load.
drill: build
	scripts/drill.py

# Applies pending migrations to DATABASE_URL (from the environment or CHATBOTS_ENV_FILE).
migrate: build
	.build/release/botctl migrate --dir migrations

bench: build
	$(SUDO) apt-get install -y -qq wrk >/dev/null 2>&1 || true
	bench/run.sh
	bench/metrics_cost.sh

# Fuzzes the three webhooks' body handling (Sources/EdgeFuzz) with libFuzzer for FUZZ_SECONDS, under AddressSanitizer
# too (the JSON parser reads through unsafe pointers; FUZZ_SANITIZE=fuzzer alone runs about twice as fast).
# Seeds: fuzz/corpus; inputs it finds go to var/fuzz/corpus, a crash to var/fuzz/crash-* (fix it, then copy the
# input into fuzz/corpus: `make test` replays that folder). Its own build folder: the sanitizer flags apply to every module.
FUZZ_SECONDS ?= 600
FUZZ_SANITIZE ?= fuzzer,address
comma := ,
FUZZ_BUILD = .build/fuzz-$(subst $(comma),-,$(FUZZ_SANITIZE))
fuzz: deps
	$(SWIFT) build -c release --product edge-fuzz --build-path $(FUZZ_BUILD) -Xswiftc -sanitize=$(FUZZ_SANITIZE) -Xswiftc -DLIBFUZZER
	mkdir -p var/fuzz/corpus
	@# Swift's own crash backtracer off: libFuzzer reports the crash and saves the input (under ASan the backtracer faults).
	set -o pipefail; SWIFT_BACKTRACE=enable=no $(FUZZ_BUILD)/release/edge-fuzz -max_total_time=$(FUZZ_SECONDS) \
	  -timeout=5 -rss_limit_mb=2048 -max_len=16384 -dict=fuzz/webhooks.dict -print_final_stats=1 \
	  -artifact_prefix=var/fuzz/ var/fuzz/corpus fuzz/corpus 2>&1 | tee var/fuzz/last-run.log

# Production install: binaries, migrations, texts and deploy files (see README "Production").
install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/chatbots
	for p in fcgi-health fcgi-chat2desk fcgi-tilda fcgi-telegram cron-drain cron-outbox cron-due-jobs cron-sheets-sync botctl; do install -m 0755 .build/release/$$p $(DESTDIR)$(PREFIX)/bin/; done
	cp -r migrations resources nginx cron deploy $(DESTDIR)$(PREFIX)/share/chatbots/

clean:
	-scripts/stack.sh stop var/run >/dev/null 2>&1
	-scripts/stack.sh stop var/test >/dev/null 2>&1
	rm -rf .build var
