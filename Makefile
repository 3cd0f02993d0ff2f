# chatbots — see README.md. Every target installs what it needs; nothing is set up by hand.
SHELL := /bin/bash
PREFIX ?= /usr/local
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# prometheus: its promtool checks the live /metrics output in a test (MonitoringTests).
DEB_PACKAGES := libfcgi-dev libfcgi-bin libhiredis-dev libpq-dev libcurl4-openssl-dev pkg-config \
	nginx redis-server redis-tools postgresql postgresql-client spawn-fcgi python3 curl ca-certificates util-linux \
	systemd logrotate openssl chromium fonts-dejavu-core prometheus

.PHONY: all deps build test lint run migrate install postinstall uninstall clean bench bench-deps drill fuzz

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

# The formatter's rules (.swift-format, the toolchain's `swift format`): fails on code it would change. Run
# `swift format format --in-place --recursive --parallel Package.swift Sources Tests` to fix.
lint:
	$(SWIFT) format lint --strict --recursive --parallel Package.swift Sources Tests

# The format check, then unit tests and integration tests against real PostgreSQL, Redis and nginx started on free
# loopback ports.
test: deps lint
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

# The bench's own tools and the peers' packages (bench/peers/): installed here only, never by `make test`.
BENCH_DEB_PACKAGES := wrk strace nodejs node-redis python3-venv
BENCH_PY_PACKAGES := uvicorn uvloop httptools starlette redis hiredis
bench-deps:
	@missing=$$(for p in $(BENCH_DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "make: installing Debian packages for the bench:" $$missing; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@[ -x bench/.venv/bin/python ] || python3 -m venv bench/.venv
	@bench/.venv/bin/python -c 'import uvicorn, uvloop, httptools, starlette, redis, hiredis' 2>/dev/null \
	  || bench/.venv/bin/pip install --quiet $(BENCH_PY_PACKAGES)

bench: build bench-deps
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

# Production install (README "Production"): copies what `make build` built, nothing else (no apt, no pip). Honours
# DESTDIR and PREFIX. Files an operator edits (/etc/chatbots: env file, texts, email templates, AI prompt; the nginx
# site) are installed only when missing; pristine copies of them stay in $(DATADIR) to compare after an upgrade.
# Without DESTDIR, `postinstall` then creates the chatbots user and the directories (sysusers.d, tmpfiles.d).
BINDIR = $(PREFIX)/bin
DATADIR = $(PREFIX)/share/chatbots
UNITDIR = $(PREFIX)/lib/systemd/system
CONFDIR = /etc/chatbots
# What `make build` wrote; the production smoke test installs the debug build `make test` already has.
BUILD_DIR ?= .build/release
PROGRAMS := fcgi-health fcgi-chat2desk fcgi-tilda fcgi-telegram cron-drain cron-outbox cron-due-jobs cron-sheets-sync \
	cron-prune botctl fcgi-ops
UNITS := chatbots-fcgi@.socket chatbots-fcgi@.service chatbots-drain.service chatbots-.service.d/hardening.conf
# Operator-edited files: repository path → installed path (resources/X → $(CONFDIR)/X).
CONF_FILES := $(wildcard resources/texts/* resources/emails/* resources/ai/*)
# The deploy files name /usr/local; another PREFIX is written into them as they are installed.
with_prefix = sed -e 's\#/usr/local/\#$(PREFIX)/\#g' $(1) >$(2) && chmod 0644 $(2)
keep_or_install = if [ -e $(2) ]; then echo "make install: keeping $(2) (yours; the shipped one is in $(DATADIR))"; \
	else install -D -m $(3) $(1) $(2); fi

install:
	@for p in $(PROGRAMS); do [ -x $(BUILD_DIR)/$$p ] || { \
	  echo "make install: $(BUILD_DIR)/$$p is missing: run make build first (install copies built files only)"; exit 1; }; done
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR) $(DESTDIR)$(UNITDIR)/chatbots-.service.d \
	  $(DESTDIR)$(PREFIX)/lib/sysusers.d $(DESTDIR)$(PREFIX)/lib/tmpfiles.d \
	  $(DESTDIR)/etc/cron.d $(DESTDIR)/etc/logrotate.d $(DESTDIR)/etc/nginx/snippets $(DESTDIR)/etc/nginx/sites-available
	install -m 0755 $(addprefix $(BUILD_DIR)/,$(PROGRAMS)) $(DESTDIR)$(BINDIR)/
	rm -rf $(DESTDIR)$(DATADIR)/migrations $(DESTDIR)$(DATADIR)/resources
	cp -r migrations resources $(DESTDIR)$(DATADIR)/
	install -m 0644 .env.example $(DESTDIR)$(DATADIR)/chatbots.env.example
	install -m 0644 nginx/chatbots.conf $(DESTDIR)$(DATADIR)/nginx-site.conf
	for u in $(UNITS); do $(call with_prefix,deploy/$$u,$(DESTDIR)$(UNITDIR)/$$u); done
	$(call with_prefix,deploy/chatbots.sysusers,$(DESTDIR)$(PREFIX)/lib/sysusers.d/chatbots.conf)
	$(call with_prefix,deploy/chatbots.tmpfiles,$(DESTDIR)$(PREFIX)/lib/tmpfiles.d/chatbots.conf)
	$(call with_prefix,deploy/chatbots.logrotate,$(DESTDIR)/etc/logrotate.d/chatbots)
	$(call with_prefix,cron/chatbots.cron,$(DESTDIR)/etc/cron.d/chatbots)
	install -m 0644 nginx/chatbots-locations.conf $(DESTDIR)/etc/nginx/snippets/chatbots-locations.conf
	install -m 0644 nginx/ffdhe2048.pem $(DESTDIR)/etc/nginx/snippets/chatbots-ffdhe2048.pem
	@$(call keep_or_install,nginx/chatbots.conf,$(DESTDIR)/etc/nginx/sites-available/chatbots,0644)
	@for f in $(CONF_FILES); do $(call keep_or_install,$$f,$(DESTDIR)$(CONFDIR)/$${f#resources/},0644); done
	@# The env file holds the secrets: root writes it, the chatbots group (responders, cron jobs) reads it.
	@$(call keep_or_install,.env.example,$(DESTDIR)$(CONFDIR)/chatbots.env,0640)
	@if [ -z "$(DESTDIR)" ]; then $(MAKE) --no-print-directory postinstall; \
	else echo "make install: staged in $(DESTDIR); on the target run: make postinstall (user, directories, env file group)"; fi

# The chatbots user (sysusers.d), /run/chatbots and /var/log/chatbots (tmpfiles.d), and the env file's group, under
# DESTDIR as root (systemd-sysusers/-tmpfiles --root). Without systemd's tools: useradd and install -d, same result.
postinstall:
	@if command -v systemd-sysusers >/dev/null; then \
	  systemd-sysusers --root=$(or $(DESTDIR),/) $(DESTDIR)$(PREFIX)/lib/sysusers.d/chatbots.conf; \
	else \
	  grep -q '^chatbots:' $(DESTDIR)/etc/passwd 2>/dev/null || useradd --root $(or $(DESTDIR),/) --system --user-group \
	    --no-create-home --home-dir / --shell /usr/sbin/nologin --comment "chatbots bots" chatbots; \
	fi
	@if command -v systemd-tmpfiles >/dev/null; then \
	  systemd-tmpfiles --create --root=$(or $(DESTDIR),/) $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/chatbots.conf; \
	else \
	  awk '$$1 == "d" { print $$2, $$3, $$4, $$5 }' $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/chatbots.conf | \
	  while read -r path mode user group; do install -d -m "$$mode" -o "$$user" -g "$$group" "$(DESTDIR)$$path"; done; \
	fi
	chown root:chatbots $(DESTDIR)$(CONFDIR)/chatbots.env
	chmod 0640 $(DESTDIR)$(CONFDIR)/chatbots.env
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi

# Removes what `make install` installed except what is yours: /etc/chatbots, the nginx site, the logs, the user.
uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(PROGRAMS)) $(addprefix $(DESTDIR)$(UNITDIR)/,$(UNITS))
	-rmdir $(DESTDIR)$(UNITDIR)/chatbots-.service.d
	rm -rf $(DESTDIR)$(DATADIR)
	rm -f $(DESTDIR)$(PREFIX)/lib/sysusers.d/chatbots.conf $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/chatbots.conf \
	  $(DESTDIR)/etc/logrotate.d/chatbots $(DESTDIR)/etc/cron.d/chatbots \
	  $(DESTDIR)/etc/nginx/snippets/chatbots-locations.conf $(DESTDIR)/etc/nginx/snippets/chatbots-ffdhe2048.pem
	@echo "make uninstall: kept $(CONFDIR), /etc/nginx/sites-available/chatbots, /var/log/chatbots and the chatbots user (yours)"

clean:
	-scripts/stack.sh stop var/run >/dev/null 2>&1
	-scripts/stack.sh stop var/test >/dev/null 2>&1
	rm -rf .build var
