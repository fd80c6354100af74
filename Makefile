# Dubstage — build, run, test, bench.
#
#   make run    open the editor on the bundled demo scene
#   make test   format check, clippy, the whole test suite
#   make bench  render speed, callback cost and a 10-minute playback soak
#
# Each target first installs the system packages it needs (Debian/Ubuntu).

SHELL := /bin/bash
CARGO ?= cargo
# Build: ALSA headers for audio I/O, pkg-config to find them.
# Tools: ffmpeg (picture, media fixtures), sox and espeak-ng (demo asset script).
APT_PACKAGES := pkg-config libasound2-dev ffmpeg
# Runtime libraries of the editor window (X11/Wayland, OpenGL), and xdg-open
# for opening QC reports.
APT_GUI := xdg-utils libx11-6 libx11-xcb1 libxcursor1 libxi6 libxkbcommon-x11-0 libgl1 libglx-mesa0 libgl1-mesa-dri
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEMO := assets/demo/demo.dubstage
OUT := out

.PHONY: run render-demo test bench deps gui-deps apt fmt demo-assets clean

deps:
	@$(MAKE) --no-print-directory apt PKGS="$(APT_PACKAGES)"
	@command -v $(CARGO) >/dev/null || { echo "cargo not found: install Rust from https://rustup.rs"; exit 1; }

gui-deps:
	@$(MAKE) --no-print-directory apt PKGS="$(APT_GUI)"

apt:
	@missing=""; \
	for p in $(PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing system packages:$$missing"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# Opens the editor on the demo scene.
run: deps gui-deps
	$(CARGO) build --release -p dubstage
	./target/release/dubstage $(DEMO)

# Renders the demo scene to out/ with the command line (no window needed).
render-demo: deps
	$(CARGO) build --release -p dubstage
	@mkdir -p $(OUT)
	./target/release/dubstage render $(DEMO) -o $(OUT)/demo_mix.wav --stems $(OUT)/stems --force

test: deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) test --workspace

# Offline render speed, audio-callback cost, peak-pyramid build speed,
# picture seek latency and decode rate, library indexing and search,
# loudness analysis and delivery speed,
# editor frame time, then a soak run on the null backend (SOAK_SECONDS,
# default 600).
bench: deps
	$(CARGO) bench -p dubstage-engine --bench render
	$(CARGO) bench -p dubstage-engine --bench callback
	$(CARGO) bench -p dubstage-engine --bench mixer
	$(CARGO) bench -p dubstage-media --bench peaks
	$(CARGO) bench -p dubstage-media --bench picture
	$(CARGO) bench -p dubstage-media --bench library
	$(CARGO) bench -p dubstage-engine --bench deliver
	$(CARGO) bench -p dubstage-ui --bench frame
	$(CARGO) bench -p dubstage-engine --bench soak

fmt:
	$(CARGO) fmt --all

# Regenerates the demo scene's audio, project file and picture
# (needs python3, sox, espeak-ng, and ffmpeg with fonts for the picture).
demo-assets:
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sox espeak-ng >/dev/null
	@$(MAKE) --no-print-directory apt PKGS="ffmpeg fonts-dejavu-core"
	python3 scripts/make_demo.py --no-picture
	python3 scripts/make_demo_picture.py

clean:
	$(CARGO) clean
	rm -rf $(OUT)
