# Dubstage — build, run, test, bench.
#
#   make run    render (and later open) the bundled demo project
#   make test   format check, clippy, the whole test suite
#   make bench  render speed, callback cost and a 10-minute playback soak
#
# Each target first installs the system packages it needs (Debian/Ubuntu).

SHELL := /bin/bash
CARGO ?= cargo
# Build: ALSA headers for audio I/O, pkg-config to find them.
# Tools: ffmpeg (picture, media fixtures), sox and espeak-ng (demo asset script).
APT_PACKAGES := pkg-config libasound2-dev ffmpeg
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEMO := assets/demo/demo.dubstage
OUT := out

.PHONY: run test bench deps fmt clippy check demo-assets clean

deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing system packages:$$missing"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@command -v $(CARGO) >/dev/null || { echo "cargo not found: install Rust from https://rustup.rs"; exit 1; }

run: deps
	$(CARGO) build --release -p dubstage
	@mkdir -p $(OUT)
	./target/release/dubstage info $(DEMO)
	./target/release/dubstage render $(DEMO) -o $(OUT)/demo_mix.wav --stems $(OUT)/stems --force
	@echo "Play it with: aplay $(OUT)/demo_mix.wav  (or any audio player)"

test: deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) test --workspace

# Offline render speed, audio-callback cost, then a soak run on the null
# backend (SOAK_SECONDS, default 600).
bench: deps
	$(CARGO) bench -p dubstage-engine --bench render
	$(CARGO) bench -p dubstage-engine --bench callback
	$(CARGO) bench -p dubstage-engine --bench soak

fmt:
	$(CARGO) fmt --all

# Regenerates the demo scene's audio and project file (needs python3, sox, espeak-ng).
demo-assets:
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sox espeak-ng >/dev/null
	python3 scripts/make_demo.py

clean:
	$(CARGO) clean
	rm -rf $(OUT)
