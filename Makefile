# One entry point for CI and for people: `make test` installs the pinned
# tools it needs (from the Go module proxy) and runs every check.
GO          ?= go
STATICCHECK_VERSION := v0.8.2
BIN         := $(CURDIR)/bin
STATICCHECK := $(BIN)/staticcheck

.PHONY: test lint unit fuzz bench bench-api build demo npm-deps

# The fuzz targets' seed corpora run in `unit`; `make fuzz` fuzzes for real.
# Fuzzing stays out of `make test`: a slow input on a loaded CI machine ends
# a time-boxed fuzz run with "context deadline exceeded", which is noise,
# not a finding.
test: lint npm-deps unit

# Pinned npm packages the tests read (GitHub's OpenAPI description, GraphQL
# schema, recorded fixtures, Microsoft's SARIF validator), installed from
# .ci/npm/package-lock.json.
npm-deps: .ci/npm/node_modules/.installed

# --ignore-scripts keeps package scripts from running; the one script this
# install needs is the validator's postinstall, `chmod u+x Sarif.Multitool`
# (its tarball ships the binary without the execute bit), so it is done here.
# The Linux package is optional (absent on other systems), hence the test.
SARIF_MULTITOOL := .ci/npm/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool

.ci/npm/node_modules/.installed: .ci/npm/package-lock.json
	cd .ci/npm && npm ci --no-audit --no-fund --ignore-scripts
	if [ -f $(SARIF_MULTITOOL) ]; then chmod u+x $(SARIF_MULTITOOL); fi
	touch $@

build:
	$(GO) build -o $(BIN)/tpscan ./cmd/tpscan

demo:
	$(GO) run ./cmd/tpscan local testdata/demo-org

$(STATICCHECK):
	GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

lint: $(STATICCHECK)
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...

unit:
	$(GO) test -race -count=1 ./...

# Each fuzz target for FUZZ_TIME on top of the seed corpora.
FUZZ_TIME ?= 30s
fuzz:
	$(GO) test -run=NONE -fuzz=FuzzParse$$ -fuzztime=$(FUZZ_TIME) ./scanner/shell/
	$(GO) test -run=NONE -fuzz=FuzzParseWorkflow -fuzztime=$(FUZZ_TIME) ./scanner/actions/
	$(GO) test -run=NONE -fuzz=FuzzParseComposite -fuzztime=$(FUZZ_TIME) ./scanner/actions/
	$(GO) test -run=NONE -fuzz=FuzzParse$$ -fuzztime=$(FUZZ_TIME) ./scanner/gitlabci/
	$(GO) test -run=NONE -fuzz=FuzzFind -fuzztime=$(FUZZ_TIME) ./rules/tokens/
	$(GO) test -run=NONE -fuzz=FuzzDecodePyPI -fuzztime=$(FUZZ_TIME) ./rules/tokens/
	$(GO) test -run=NONE -fuzz=FuzzTemplates -fuzztime=$(FUZZ_TIME) ./scanner/expr/
	$(GO) test -run=NONE -fuzz=FuzzEngine -fuzztime=$(FUZZ_TIME) ./rules/
	$(GO) test -run=NONE -fuzz=FuzzParseDoc -fuzztime=$(FUZZ_TIME) ./fixers/
	$(GO) test -run=NONE -fuzz=FuzzApplyUnified -fuzztime=$(FUZZ_TIME) ./fixers/
	$(GO) test -run=NONE -fuzz=FuzzParse$$ -fuzztime=$(FUZZ_TIME) ./reports/codescanning/
	$(GO) test -run=NONE -fuzz=FuzzMarkdownEscaping -fuzztime=$(FUZZ_TIME) ./reports/
	$(GO) test -run=NONE -fuzz=FuzzGitConfig -fuzztime=$(FUZZ_TIME) ./scanner/local/

# Benchmarks are measured, not asserted: see README "Performance".
bench:
	$(GO) test -run=NONE -bench='YAMLParseOnly|Scan' -benchtime=3x ./scanner/local/

# The API audit against the fake GitHub: 2,000 repositories, 100 ms latency
# per request (about 2.5 minutes in all). See README "Requests".
bench-api:
	$(GO) test -run=NONE -bench=OrgScan -benchtime=1x ./scanner/github/
