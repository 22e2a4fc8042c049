# Front door of the vdi.firewall checkout. Every target creates or reuses .venv with the pinned
# tool chain from requirements/dev.txt and resolves the collection through .build/collections.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
COLL := .build/collections/ansible_collections/vdi/firewall
OUT ?= out
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.build/collections
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: setup example export benchmark benchmark-acl benchmark-firewalld test unit lint sanity molecule build clean

.build/system-deps: requirements/apt.txt
	scripts/install-system-deps.sh
	mkdir -p .build && touch $@

$(VENV)/.installed: requirements/dev.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt
	touch $@

$(COLL):
	mkdir -p $(dir $(COLL))
	ln -sfn $(CURDIR) $(COLL)

setup: .build/system-deps $(VENV)/.installed $(COLL)

## The main job on the bundled example: plan the Citrix site's rules into $(OUT).
example: setup
	ansible-playbook -i examples/citrix/inventory.yml vdi.firewall.plan -e vdi_firewall_output_dir=$(abspath $(OUT))

## The whole port catalog as a flow matrix in $(OUT).
export: setup
	ansible-playbook vdi.firewall.export_matrix -e vdi_firewall_export_dir=$(abspath $(OUT))

## Planner speed figures.
benchmark: setup
	$(PY) benchmarks/plan_speed.py

## Device ACLs of a 2,000-host site beside Aerleon's (entries, render time, permitted sets identical).
benchmark-acl: setup
	$(PY) benchmarks/acl_vs_aerleon.py

## firewalld role vs a loop of ansible.posix.firewalld (150 rules and 1 rule), in one container.
benchmark-firewalld: setup
	scripts/podman-setup.sh && scripts/build-image.sh && $(PY) benchmarks/firewalld_apply.py

## Every test: pytest (unit, playbook, AWX and browser tests), ansible-lint (production),
## ansible-test sanity, and the molecule scenarios (root: podman containers, real packets).
test: unit lint sanity molecule

## The Linux backends in podman containers: the firewalld, nftables and zones molecule scenarios.
molecule: setup
	scripts/molecule.sh

## pytest with podman and docker hidden: no test may lean on a runtime that molecule installs.
unit: setup
	scripts/without-container-runtimes.sh $(PY) -m pytest -q tests

## ruff, mypy on plugins/ (mypy.ini) and ansible-lint's production profile.
lint: setup
	ruff check .
	mypy
	ansible-lint --profile production --offline

sanity: setup
	scripts/sanity.sh

build: setup
	ansible-galaxy collection build --force --output-path .build/dist .

clean:
	rm -rf .build $(OUT) tests/output
