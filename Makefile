# minivm — top-level convenience targets around meson/ninja.
#   make          build build/minivm
#   make run      boot the default guest (installs what it needs as root)
#   make check    every test, normal and ASan/UBSan builds (installs what it needs)
#   make bench    side-by-side benchmarks against Debian's QEMU
#   make install  install under the configured prefix (./configure --prefix=...)

BUILD ?= build
SAN_BUILD ?= build-san
NINJA ?= ninja

.PHONY: all deps deps-run build san run check check-unit check-functional bench install clean distclean format

all: build

deps:
	@scripts/install-deps.sh test

deps-run:
	@scripts/install-deps.sh run

$(BUILD)/build.ninja:
	./configure --builddir=$(BUILD)

$(SAN_BUILD)/build.ninja:
	./configure --builddir=$(SAN_BUILD) --enable-sanitizers

build: $(BUILD)/build.ninja
	$(NINJA) -C $(BUILD)

san: $(SAN_BUILD)/build.ninja
	$(NINJA) -C $(SAN_BUILD)

run: deps-run build
	@scripts/run-default-guest.sh $(BUILD)

check: deps
	@$(MAKE) --no-print-directory build san
	@python3 tests/run-all.py --build $(BUILD) --build $(SAN_BUILD)

check-unit: build
	@python3 tests/run-all.py --build $(BUILD) --only unit

check-functional: build
	@python3 tests/run-all.py --build $(BUILD) --only functional

bench: deps build
	@python3 bench/run.py --build $(BUILD)

install: build
	meson install -C $(BUILD)

format:
	@git ls-files '*.c' '*.h' | xargs clang-format -i

clean:
	@if [ -d $(BUILD) ]; then $(NINJA) -C $(BUILD) clean; fi
	@if [ -d $(SAN_BUILD) ]; then $(NINJA) -C $(SAN_BUILD) clean; fi

distclean:
	rm -rf $(BUILD) $(SAN_BUILD)
