# SPDX-License-Identifier: GPL-2.0
#
# Build, boot and measure the zsmalloc deferred-free series on Linux 7.3.
# 'make help' lists the targets. Variables: ARCH=x86_64|arm64,
# KSRC=/path/to/linux-7.3 (instead of Debian's linux-source-7.3), QUICK=1
# (short benchmark). A target's '##' comment is its line in 'make help'.
SHELL := /bin/bash
S := scripts
export ARCH ?= x86_64
export KSRC QUICK

.PHONY: all help setup assemble build build-base kernel initramfs quick check check-modules kunit bench lint rustdoc series series-check check-64k check-16k check-rt check-gki check-off stress mutants htmldocs shell clean distclean

all: check

help: ## this list
	@echo "Targets (ARCH=$(ARCH); variables: ARCH=x86_64|arm64, KSRC=<7.3 tree>, QUICK=1):"
	@sed -n 's/^\([a-z0-9-]*\):.*## \(.*\)$$/\1|\2/p' $(firstword $(MAKEFILE_LIST)) | \
		awk -F'|' '{ printf "  %-14s%s\n", $$1, $$2 }'

setup: ## install missing packages (root/sudo only for apt) and the tool cache
	@$(S)/setup.sh

assemble: setup ## build/linux: pristine 7.3 as 'base', then one commit per series entry
	@$(S)/assemble.sh

kernel: assemble ## build the patched kernel (incremental)
	@$(S)/build.sh patched

build-base: assemble ## build the pristine 7.3 kernel
	@$(S)/build.sh base

build: kernel build-base ## both kernels

initramfs: kernel ## the guest's initramfs for the patched kernel
	@$(S)/initramfs.sh patched

# The edit-build-test loop: the 'check' boot alone.
quick: assemble ## patched kernel, one boot: KUnit, kselftests, zram/zswap checks (no lint, no debug kernel)
	@CHECK_NAME=quick CHECK_LINT=0 CHECK_STRESS=0 CHECK_MODULES=0 $(S)/check.sh

check-modules: assemble ## the modular kernel alone: zsmalloc, core, zram loaded, checked, unloaded
	@CHECK_NAME=modules CHECK_MAIN=0 CHECK_LINT=0 CHECK_STRESS=0 CHECK_MODULES=1 $(S)/check.sh

check: assemble ## quick + the modular kernel + make lint + a KASAN/lockdep kernel and a 2-minute stress run
	@$(S)/check.sh

bench: assemble ## base and patched kernels, alternating boots: the RFC's tables (~35 min; QUICK=1 short)
	@$(S)/bench.sh

bench-ladder: assemble ## the ladder alone, one boot of VARIANT (patched) on ARCH: sync, zs_free() only, per slot, per run
	@$(S)/bench_ladder.sh

bench-swapin: assemble ## swap-in of 256 MiB alone, base and patched in BOOTS (3) alternating rounds (~15 min)
	@$(S)/bench_swapin.sh

lint: kernel ## checkpatch --strict, rustfmt, clippy, rustdoc, kernel-doc
	@$(S)/lint.sh

rustdoc: kernel ## HTML for the series' Rust crates next to the kernel's
	@$(S)/rustdoc.sh

series: assemble ## out/series/: the RFC v4 mails, prepared and checked by b4
	@$(S)/series.sh

# Debug kernel (clang, KASAN, KFENCE, lockdep, kmemleak, fault injection) under churn,
# hotplug, resets and switches: make stress DURATION=600
stress: assemble ## the debug kernel under churn, hotplug, resets (DURATION=600 s)
	@$(S)/stress.sh $(or $(DURATION),600)

mutants: assemble ## one kernel per injected bug (mutants/list); every one must fail a test
	@$(S)/mutants.sh

htmldocs: assemble ## Documentation/mm with Sphinx; no warning may concern the series
	@$(S)/htmldocs.sh

series-check: assemble ## every patch builds on its own, option on and off
	@$(S)/series_check.sh

# The arm64 check boot on 64 KiB pages (batch pages hold 16x the elements).
check-64k: ## make check ARCH=arm64 on 64 KiB pages
	@$(MAKE) --no-print-directory check ARCH=arm64 CHECK_VARIANT=patched-64k

# Android's GKI, roughly (configs/gki.config): arm64, clang 22 with inlined
# Rust helpers, modules, memcg, PSI; boots the modules plan.
check-gki: ## arm64 GKI-like kernel (clang, modules, memcg, PSI): the modules plan
	@ARCH=arm64 GKI=1 $(S)/setup.sh && ARCH=arm64 $(S)/assemble.sh && \
		ARCH=arm64 CHECK_NAME=gki CHECK_MAIN=0 CHECK_LINT=0 CHECK_STRESS=0 \
		CHECK_MODULES=1 CHECK_MODULES_VARIANT=gki $(S)/check.sh

check-rt: assemble ## the check boot on a PREEMPT_RT kernel (DEBUG_ATOMIC_SLEEP)
	@CHECK_NAME=check-rt CHECK_VARIANT=rt CHECK_LINT=0 CHECK_STRESS=0 CHECK_MODULES=0 $(S)/check.sh

# 16 KiB pages, as Android 15 and later ship them (QEMU -cpu max).
check-16k: ## make check ARCH=arm64 on 16 KiB pages
	@$(MAKE) --no-print-directory check ARCH=arm64 CHECK_VARIANT=patched-16k

kunit: assemble ## the KUnit suite through the kernel's kunit.py and .kunitconfig (x86_64)
	@$(S)/kunit.sh

check-off: assemble ## the patched tree with the option off builds and boots
	@$(S)/build.sh off && $(S)/initramfs.sh off >/dev/null && \
		$(S)/boot.sh off smoke $(CURDIR)/out/check-off-$(ARCH) 600 && \
		python3 $(S)/summarize.py build/linux/tools/testing/kunit/kunit.py \
			$(CURDIR)/out/check-off-$(ARCH)

shell: initramfs ## boot the patched kernel with a shell (Ctrl-a x quits)
	@$(S)/boot.sh patched shell /tmp

clean: ## remove logs, objects and initramfs images (keeps build/linux)
	rm -rf out build/obj-* build/initramfs-* build/selftests-*

distclean: ## remove out/ and build/
	rm -rf out build
