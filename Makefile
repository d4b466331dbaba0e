# ecmp.lvs — the two commands a newcomer needs:
#   make lab    build the lab image if needed, start the lab from $(INVENTORY), run playbooks/site.yml, show the result
#   make test   every test: unit, sanity, lint, safety (secrets), interop (BIRD), molecule default (real IPVS kernels in UML)
SHELL := /bin/bash
.DEFAULT_GOAL := help

ROOT        := $(abspath .)
VENV        := $(ROOT)/.venv
PY          := $(VENV)/bin/python
INVENTORY   ?= inventories/lab
LAB_BACKEND ?= auto
LAB_NAME    ?= ecmplab
COLL_LINK   := .ansible/collections/ansible_collections/ecmp/lvs
export ANSIBLE_CONFIG := $(ROOT)/ansible.cfg
export PATH := $(VENV)/bin:$(PATH)

# Debian packages the controller needs for make lab / test / bench / safety. tests/unit/test_install_list.py maps
# every host program the tests, the lab tool and the benchmark run to its package and fails if one is missing here.
APT_PACKAGES := podman runc uidmap slirp4netns user-mode-linux uml-utilities debootstrap e2fsprogs openssh-client \
                netcat-openbsd iputils-ping procps kmod rsync iproute2 binutils keepalived frr frr-pythontools ipvsadm git \
                prometheus bird2 nftables iptables gcc libc6-dev shellcheck systemd

BENCH_LAB     ?= bench
BENCH_CONFIGS ?= seeds,defaults
# more options of benchmarks/failover.py, e.g. BENCH_ARGS="--vip 2001:db8:100::10" (the IPv6 service of the lab)
BENCH_ARGS    ?=
# chaos soak (benchmarks/soak.py): e.g. SOAK_ARGS="--seed 7 --count 150 --min-minutes 45"
SOAK_ARGS     ?=

# Supported ansible-core: meta/runtime.yml requires_ansible (>= the minor of CORE_MIN) and every role's
# min_ansible_version say the same (tests/unit/test_ansible_core_range.py); `make core-matrix` tests the oldest and
# the newest release from PyPI (the newest is requirements.txt's pin). CORE_MIN also gets the oldest netaddr allowed.
CORE_MIN      ?= 2.15.13
CORE_MAX      ?= 2.19.14
CORE_VERSIONS ?= $(CORE_MIN) $(CORE_MAX)
NETADDR_MIN   := 1.1.0
CHANGELOG_VENV := $(ROOT)/.venv-changelog

.PHONY: test-long molecule-long molecule-dual contract results bench soak help deps apt venv collection unit sanity lint changelog changelog-lint core-matrix safety interop checks-and-labs molecule molecule-default molecule-podman molecule-trixie molecule-mixed molecule-shapes test lab lab-up lab-down lab-status clean

help:
	@echo "make lab [INVENTORY=inventories/lab] [LAB_BACKEND=auto|podman|uml]  - rehearse an inventory on a local lab"
	@echo "make lab-down                                                     - remove every lab resource"
	@echo "make test                                                         - unit, sanity, lint, safety, interop, molecule default (UML)"
	@echo "make interop                                                      - routers in front of the directors: BIRD 2, an FRR shared with its owner (podman labs)"
	@echo "make test-long                                                    - the long lab scenarios (UML, up to an hour; CI runs it when time is left)"
	@echo "make molecule-dual                                                - IPv6 beside IPv4 over BGP on real IPVS (UML, inventories/lab-dual)"
	@echo "make core-matrix                                                  - unit + sanity with the oldest and newest ansible-core"
	@echo "make changelog                                                    - render changelogs/ into CHANGELOG.md"
	@echo "make contract                                                     - write the shared lvs_* contract into the role docs"
	@echo "make bench [BENCH_CONFIGS=seeds,defaults] [BENCH_ARGS=...]        - failover benchmark on a UML lab"
	@echo "make soak [SOAK_ARGS=\"--seed 7\"]                                  - chaos soak: 100 seeded random events, 30+ min (UML)"
	@echo "make results                                                      - docs/results.md + README figures from docs/results/*.json"

deps: apt venv collection

apt:
	@missing=$$(for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@# the host never runs the daemons: they are only used to validate rendered configs
	@systemctl disable --now frr keepalived prometheus bird >/dev/null 2>&1 || true

$(VENV)/.stamp: requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements.txt
	touch $@

# The lab package (lab/ecmplab_lib) is importable by every Python of a project virtualenv, like an installed
# package: the lab tool, the molecule tests (testinfra), benchmarks/failover.py and the unit tests import it by
# name. One line in the virtualenv's site-packages, relative to it (lab/ of the tree whose .venv it is, also
# through a .venv that is a symlink to another tree's); written again by every `make venv`.
LAB_PTH := ecmp_lvs_lab.pth
define write_lab_pth
$(1)/bin/python -c 'import os, sys, sysconfig; site = sysconfig.get_paths()["purelib"]; \
  open(os.path.join(site, sys.argv[1]), "w").write(os.path.relpath(sys.argv[2], site) + "\n")' $(LAB_PTH) $(ROOT)/lab
endef

venv: $(VENV)/.stamp
	@$(call write_lab_pth,$(VENV))

# ansible-test sanity wants its own pins (pylint, yamllint, ...): a second virtualenv keeps them apart from ansible-lint's
$(ROOT)/.venv-sanity/.stamp: tests/sanity/requirements.txt
	python3 -m venv $(ROOT)/.venv-sanity
	$(ROOT)/.venv-sanity/bin/pip install -q -r tests/sanity/requirements.txt
	touch $@

collection:
	@mkdir -p $(dir $(COLL_LINK)) && ln -sfn ../../../.. $(COLL_LINK)

# unit tests (parsers, diff logic, filters) and real-kernel module tests in throwaway namespaces on this host, one
# pytest worker per core (pytest-xdist; a file's tests stay in one worker: their module fixtures are built once)
# the podman lab of the installed collection (tests/packaging/test_infra_repo.py) runs in `make safety`
INFRA_LAB_TEST := tests/packaging/test_infra_repo.py
unit: venv collection
	$(PY) -m pytest -q -n auto --dist loadfile tests/unit tests/negative tests/packaging lab/tests \
	  $(wildcard tests/integration_host) --deselect $(INFRA_LAB_TEST)

sanity: $(ROOT)/.venv-sanity/.stamp
	bash tests/sanity/run.sh

lint: venv collection changelog-lint
	$(VENV)/bin/ansible-lint --profile production

# the shared lvs_* contract (plugins/plugin_utils/lvs_contract.py) written into the roles' argument specs and READMEs
# (tests/unit/test_lvs_contract.py fails while they differ)
contract: venv collection
	$(PY) tools/lvs_contract.py --write

# changelog: fragments in changelogs/fragments/ (antsibull-changelog); CHANGELOG.md is their rendering
$(CHANGELOG_VENV)/.stamp: tests/changelog/requirements.txt
	python3 -m venv $(CHANGELOG_VENV)
	$(CHANGELOG_VENV)/bin/pip install -q -r tests/changelog/requirements.txt
	touch $@

changelog: venv $(CHANGELOG_VENV)/.stamp
	bash tests/changelog/render.sh

changelog-lint: venv $(CHANGELOG_VENV)/.stamp
	$(CHANGELOG_VENV)/bin/antsibull-changelog lint
	bash tests/changelog/render.sh --check

# one virtualenv per ansible-core version: .venv-core-<version>
$(ROOT)/.venv-core-%/.stamp:
	python3 -m venv $(ROOT)/.venv-core-$*
	$(ROOT)/.venv-core-$*/bin/pip install -q --disable-pip-version-check ansible-core==$* \
	  $$(grep -E '^(pytest|jinja2)==' requirements.txt) \
	  $(if $(filter $*,$(CORE_MIN)),netaddr==$(NETADDR_MIN),-r meta/ee-requirements.txt)
	touch $@

# unit, negative, packaging and lab tool tests, ansible-test sanity and a podman lab (tests/lab_safety: converge,
# check mode, a protocol switch) with the oldest and the newest supported ansible-core (~15 min on 2 cores, first
# run longer: not part of `make test`). ansible-test keeps its per-test
# virtualenvs under ~/.ansible/test: the matrix gets a HOME of its own (CORE_HOME), so that the sanity venvs of
# other ansible-core versions do not pile up next to those of `make sanity`.
CORE_HOME := $(ROOT)/.cache/core-matrix-home
core-matrix: deps collection $(foreach v,$(CORE_VERSIONS),$(ROOT)/.venv-core-$(v)/.stamp)
	@set -e; for v in $(CORE_VERSIONS); do \
	  echo "== ansible-core $$v"; start=$$(date +%s); \
	  $(call write_lab_pth,$(ROOT)/.venv-core-$$v); \
	  $(ROOT)/.venv-core-$$v/bin/python -m pytest -q -p no:cacheprovider tests/unit tests/negative tests/packaging lab/tests; \
	  HOME=$(CORE_HOME) ECMP_SANITY_VENV=$(ROOT)/.venv-core-$$v ECMP_SANITY_DIR=/tmp/ecmp-lvs-sanity-$$v \
	    bash tests/sanity/run.sh; \
	  ECMPLAB_ANSIBLE_VENV=$(ROOT)/.venv-core-$$v ECMP_EXPECT_CORE=$$v $(PY) -m pytest -q -s tests/lab_safety; \
	  echo "== ansible-core $$v passed in $$(( $$(date +%s) - start )) s"; \
	done

# secrets never in the ansible output (site.yml -v --diff, check mode) but in frr.conf: a podman lab of its own; the
# installed collection converging an infra repo's inventory (own group names, two clusters): another
safety: deps collection
	$(PY) -m pytest -q -s tests/lab_safety $(INFRA_LAB_TEST)

# routers this collection shares or does not manage (issue 14), podman labs (-s prints the timings):
# - BIRD 2 running the shipped examples (files/bird/) in front of two directors converged by site.yml, OSPF then
#   eBGP, both with BFD (~5 min): one kernel nexthop per director, BFD up, the route follows the announcement,
#   drain, failover
# - a router whose FRR someone else runs (router_frr_config: shared, ~6 min): its other OSPF/BGP routes stay in
#   the kernel, the VIP gets its multipath route, FRR is never restarted, reruns change nothing
interop: deps collection
	$(PY) -m pytest -q -s tests/lab_interop

# ansible runs with mitogen_linear when mitogen is installed (lab/ecmplab ansible-env; ECMP_LVS_MITOGEN=0: plain linear)
# the default scenario (`molecule test`): real IPVS kernels (UML), part of `make test`
molecule-default: deps
	cd $(ROOT) && env $$($(PY) lab/ecmplab ansible-env) $(VENV)/bin/molecule test -s default

# podman containers (no IPVS), not part of `make test` (the budget: the default scenario checks everything it does)
molecule-podman: deps
	cd $(ROOT) && env $$($(PY) lab/ecmplab ansible-env) $(VENV)/bin/molecule test -s podman

# Debian 13 (issue 18): every host on trixie, and a mixed lab (directors on 12 and 13); not part of `make test`
# (the budget), run them when a role, the lab image or packages.txt change
molecule-trixie: deps
	cd $(ROOT) && env $$($(PY) lab/ecmplab ansible-env) $(VENV)/bin/molecule test -s trixie

molecule-mixed: deps
	cd $(ROOT) && env $$($(PY) lab/ecmplab ansible-env) $(VENV)/bin/molecule test -s mixed

# the service shapes (issue 15): UDP DNS, firewall-mark, virtual_server_group and sorry-server services on real IPVS
# (inventories/lab-shapes, every host on Debian 13)
molecule-shapes: deps
	cd $(ROOT) && env $$($(PY) lab/ecmplab ansible-env) $(VENV)/bin/molecule test -s shapes

molecule: molecule-default

# the dual-stack lab over BGP (inventories/lab-dual: the default lab announced over BGP) on UML, the IPv6 tests
# (marker dual, molecule/shared/tests/test_dual.py; make test runs them over OSPFv3); not part of `make test`
molecule-dual: deps
	cd $(ROOT) && env $$($(PY) lab/ecmplab ansible-env) $(VENV)/bin/molecule test -s dual

# the lab tests marked `long` on a UML lab of their own (66 min measured with other work on the machine): not part
# of `make test` (its 50-minute budget); CI (.ci/run) runs it after `make test` when the time is left
molecule-long: deps
	cd $(ROOT) && env $$($(PY) lab/ecmplab ansible-env) $(VENV)/bin/molecule test -s long

test-long: molecule-long

# the static checks and the podman labs side by side (their own lab names and namespaces: labs never meet): the labs
# wait on protocol timers most of the time, the checks use the CPU; --output-sync keeps each one's output together
checks-and-labs: deps collection
	$(MAKE) -j3 --output-sync=target sanity lint safety interop

test: deps unit checks-and-labs molecule

lab: deps
	$(PY) lab/ecmplab --inventory $(INVENTORY) --backend $(LAB_BACKEND) --name $(LAB_NAME) demo

lab-up: deps
	$(PY) lab/ecmplab --inventory $(INVENTORY) --backend $(LAB_BACKEND) --name $(LAB_NAME) up

lab-down:
	$(PY) lab/ecmplab --inventory $(INVENTORY) --name $(LAB_NAME) down

lab-status:
	$(PY) lab/ecmplab --inventory $(INVENTORY) --name $(LAB_NAME) status

# the published figures: docs/results.md and the README's figures block from docs/results/*.json
# (publish a run: $(PY) benchmarks/report.py --publish benchmarks/results/<run>/<name>.json)
results: venv
	$(PY) benchmarks/report.py --write

# failover benchmark (UML lab): prints a table per configuration and event, writes JSON + a PNG timeline
bench: deps
	$(VENV)/bin/pip install -q -r benchmarks/requirements.txt
	$(PY) benchmarks/failover.py --name $(BENCH_LAB) --inventory $(INVENTORY) --configs $(BENCH_CONFIGS) $(BENCH_ARGS) --down

# chaos soak (UML lab): a seeded random sequence of >= 100 events over >= 30 min under traffic; JSON, table, PNG
# (publish: $(PY) benchmarks/soak.py --publish benchmarks/results/soak-<timestamp>)
soak: deps
	$(VENV)/bin/pip install -q -r benchmarks/requirements.txt
	$(PY) benchmarks/soak.py --name $(BENCH_LAB) --inventory $(INVENTORY) $(SOAK_ARGS) --down

clean: lab-down
	rm -rf .ansible tests/output .pytest_cache
