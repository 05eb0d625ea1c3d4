# nook: `just check` is everything CI runs (.ci/run, as root after .ci/setup).

set shell := ["bash", "-euo", "pipefail", "-c"]

export PATH := env_var_or_default("HOME", "/root") / "go/bin:/usr/local/go/bin:" + env_var("PATH")

# Packages under testdata/ are left out of ./... patterns: name them.
testdata := "./testdata/probe ./testdata/rootfs"

default: check

# The static binary, bin/nook.
build:
    CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o bin/nook .

# Unit and end-to-end tests. As root: e2e runs nook as the user nooktest.
test:
    go test -count=1 -p 2 -timeout 30m ./... {{ testdata }}

# Unit tests only: no root needed.
unit:
    go test -count=1 -p 2 -timeout 10m $(go list ./... | grep -v '^nook/e2e$') {{ testdata }}

# End-to-end tests only (root); pass e.g. `just e2e -run TestRun -v`.
e2e *ARGS:
    go test -count=1 -timeout 30m ./e2e {{ ARGS }}

lint:
    unformatted=$(gofmt -l .); if [[ -n $unformatted ]]; then echo "gofmt needed:"; echo "$unformatted"; exit 1; fi
    go vet ./... {{ testdata }}
    staticcheck ./... {{ testdata }}

# The binary must link statically: it runs where no libc matches.
static: build
    out=$(file bin/nook); echo "$out"; grep -q 'statically linked' <<<"$out"

check: lint static test

# Start-up time against bubblewrap (root; runs the commands as nooktest).
bench-start:
    bash bench/start.sh

# All benchmarks.
bench: bench-start
