# SPDX-License-Identifier: GPL-2.0
#
# Build, boot and measure the zsmalloc deferred-free series on Linux 7.3.
#   make check   build the patched kernel, boot it, run KUnit + kselftests
#   make bench   build base and patched kernels, run the munmap benchmark
# Variables: ARCH=x86_64|arm64, KSRC=/path/to/linux-7.3 (instead of Debian's
# linux-source-7.3), QUICK=1 (short benchmark).
SHELL := /bin/bash
S := scripts
export ARCH ?= x86_64
export KSRC QUICK

.PHONY: all setup assemble build build-base kernel initramfs check bench lint rustdoc series series-check check-64k check-off stress mutants htmldocs shell clean distclean

all: check

setup:
	@$(S)/setup.sh

assemble: setup
	@$(S)/assemble.sh

kernel: assemble
	@$(S)/build.sh patched

build-base: assemble
	@$(S)/build.sh base

build: kernel build-base

initramfs: kernel
	@$(S)/initramfs.sh patched

check: assemble
	@$(S)/check.sh

bench: assemble
	@$(S)/bench.sh

lint: kernel
	@$(S)/lint.sh

# HTML for the series' Rust crates next to the kernel's rustdoc.
rustdoc: kernel
	@$(S)/rustdoc.sh

series: assemble
	@$(S)/series.sh

# Debug kernel (clang, KASAN, KFENCE, lockdep, kmemleak, fault injection) under churn,
# hotplug, resets and switches: make stress DURATION=600
stress: assemble
	@$(S)/stress.sh $(or $(DURATION),600)

# One kernel per injected bug (mutants/list); every one must fail a test.
mutants: assemble
	@$(S)/mutants.sh

# Documentation/mm with Sphinx; no warning may concern the series.
htmldocs: assemble
	@$(S)/htmldocs.sh

# Every patch builds on its own, with the option on and off.
series-check: assemble
	@$(S)/series_check.sh

# The patched tree with CONFIG_ZSMALLOC_DEFERRED_FREE=n builds and boots.
# The arm64 check boot on 64 KiB pages (batch pages hold 16x the elements).
check-64k:
	@$(MAKE) --no-print-directory check ARCH=arm64 CHECK_VARIANT=patched-64k

check-off: assemble
	@$(S)/build.sh off && $(S)/initramfs.sh off >/dev/null && \
		$(S)/boot.sh off smoke $(CURDIR)/out/check-off-$(ARCH) 600 && \
		python3 $(S)/summarize.py build/linux/tools/testing/kunit/kunit.py \
			$(CURDIR)/out/check-off-$(ARCH)

# Boot the patched kernel with a shell on the terminal (Ctrl-a x quits).
shell: initramfs
	@$(S)/boot.sh patched shell /tmp

clean:
	rm -rf out build/obj-* build/initramfs-* build/selftests-*

distclean:
	rm -rf out build
