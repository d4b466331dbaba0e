# ecmp.lvs — the two commands a newcomer needs:
#   make lab    build the lab image if needed, start the lab from $(INVENTORY), run playbooks/site.yml, show the result
#   make test   every test: unit, sanity, lint, safety (secrets), molecule default (podman) and uml (real IPVS kernels)
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
                netcat-openbsd iputils-ping procps kmod rsync iproute2 keepalived frr frr-pythontools ipvsadm git \
                prometheus

BENCH_LAB     ?= bench
BENCH_CONFIGS ?= seeds,defaults

.PHONY: bench help deps apt venv collection unit sanity lint safety molecule molecule-default molecule-uml test lab lab-up lab-down lab-status clean

help:
	@echo "make lab [INVENTORY=inventories/lab] [LAB_BACKEND=auto|podman|uml]  - rehearse an inventory on a local lab"
	@echo "make lab-down                                                     - remove every lab resource"
	@echo "make test                                                         - unit, sanity, lint, safety, molecule default + uml"
	@echo "make bench [BENCH_CONFIGS=seeds,defaults]                         - failover benchmark on a UML lab"

deps: apt venv collection

apt:
	@missing=$$(for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@# the host never runs the daemons: they are only used to validate rendered configs
	@systemctl disable --now frr keepalived prometheus >/dev/null 2>&1 || true

$(VENV)/.stamp: requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements.txt
	touch $@

venv: $(VENV)/.stamp

# ansible-test sanity wants its own pins (pylint, yamllint, ...): a second virtualenv keeps them apart from ansible-lint's
$(ROOT)/.venv-sanity/.stamp: tests/sanity/requirements.txt
	python3 -m venv $(ROOT)/.venv-sanity
	$(ROOT)/.venv-sanity/bin/pip install -q -r tests/sanity/requirements.txt
	touch $@

collection:
	@mkdir -p $(dir $(COLL_LINK)) && ln -sfn ../../../.. $(COLL_LINK)

# unit tests (parsers, diff logic, filters) and real-kernel module tests in throwaway namespaces on this host
unit: venv collection
	$(PY) -m pytest -q tests/unit tests/negative tests/packaging lab/tests $(wildcard tests/integration_host)

sanity: $(ROOT)/.venv-sanity/.stamp
	bash tests/sanity/run.sh

lint: venv collection
	$(VENV)/bin/ansible-lint --profile production

# secrets never in the ansible output (site.yml -v --diff, check mode) but in frr.conf: a podman lab of its own
safety: deps
	$(PY) -m pytest -q tests/lab_safety

# ansible runs with mitogen_linear when mitogen is installed (lab/ecmplab ansible-env; ECMP_LVS_MITOGEN=0: plain linear)
molecule-default: deps
	cd $(ROOT) && env $$($(PY) lab/ecmplab ansible-env) $(VENV)/bin/molecule test -s default

molecule-uml: deps
	cd $(ROOT) && env $$($(PY) lab/ecmplab ansible-env) $(VENV)/bin/molecule test -s uml

molecule: molecule-default molecule-uml

test: deps unit sanity lint safety molecule

lab: deps
	$(PY) lab/ecmplab --inventory $(INVENTORY) --backend $(LAB_BACKEND) --name $(LAB_NAME) demo

lab-up: deps
	$(PY) lab/ecmplab --inventory $(INVENTORY) --backend $(LAB_BACKEND) --name $(LAB_NAME) up

lab-down:
	$(PY) lab/ecmplab --inventory $(INVENTORY) --name $(LAB_NAME) down

lab-status:
	$(PY) lab/ecmplab --inventory $(INVENTORY) --name $(LAB_NAME) status

# failover benchmark (UML lab): prints a table per configuration and event, writes JSON + a PNG timeline
bench: deps
	$(VENV)/bin/pip install -q -r benchmarks/requirements.txt
	$(PY) benchmarks/failover.py --name $(BENCH_LAB) --inventory $(INVENTORY) --configs $(BENCH_CONFIGS) --down

clean: lab-down
	rm -rf .ansible tests/output .pytest_cache
