# nook: `just check` is everything CI runs (.ci/run, as root after .ci/setup).

set shell := ["bash", "-euo", "pipefail", "-c"]

export PATH := env_var_or_default("HOME", "/root") / "go/bin:/usr/local/go/bin:" + env_var("PATH")

# Packages under testdata/ are left out of ./... patterns: name them.
testdata := "./testdata/probe ./testdata/rootfs ./testdata/fakesystemd"

default: check

# The static binary, bin/nook, with the init program embedded (initbin/:
# a container start then does not pay for the CLI's dependencies twice).
build:
    CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o initbin/nook-init ./initbin/program
    CGO_ENABLED=0 go build -tags nookinit -trimpath -ldflags '-s -w' -o bin/nook .

# Unit and end-to-end tests. As root: e2e runs nook as the user nooktest.
test:
    go test -count=1 -p 2 -timeout 30m ./... {{ testdata }}

# Unit tests only (no e2e). Some need root too (a TAP in a test namespace, real
# whiteouts, chown): they fail, not skip, without it, as everything in CI must.
unit:
    go test -count=1 -p 2 -timeout 10m $(go list ./... | grep -v '^nook/e2e$') {{ testdata }}

# End-to-end tests only (root); pass e.g. `just e2e -run TestRun -v`.
e2e *ARGS:
    go test -count=1 -timeout 30m ./e2e {{ ARGS }}

# -tags vm: the VM tests (e2e/*_vm_test.go) too.
lint:
    unformatted=$(gofmt -l .); if [[ -n $unformatted ]]; then echo "gofmt needed:"; echo "$unformatted"; exit 1; fi
    go vet -tags vm ./... {{ testdata }}
    staticcheck -tags vm ./... {{ testdata }}

# The binary must link statically: it runs where no libc matches.
static: build
    out=$(file bin/nook); echo "$out"; grep -q 'statically linked' <<<"$out"

# The cgroup v2 tests (e2e/*_vm_test.go, named TestVM...) in a VM: Debian's kernel
# under qemu with cgroup_no_v1=all and a session delegated to nooktest as systemd
# does it (testdata/vm/README.md). Everything is built here first; extra
# arguments go to the test binary, e.g. `just test-vm -test.run TestVMCgroupDelegation`.
# Output on stdout; the guest's console in bin/vm/console.log.
[positional-arguments]
test-vm *ARGS: build
    #!/usr/bin/env bash
    set -euo pipefail
    CGO_ENABLED=0 go build -trimpath -o bin/vm/probe ./testdata/probe
    CGO_ENABLED=0 go build -trimpath -o bin/vm/fakesystemd ./testdata/fakesystemd
    CGO_ENABLED=0 go test -c -trimpath -tags vm -o bin/e2e-vm.test ./e2e
    # The guest puts tmpfs over /tmp, /var/tmp, /run and the test user's
    # home: a checkout there (CI clones anywhere) would vanish, so what the
    # guest runs is staged next to the kernel cache.
    stage=$(mktemp -d /var/cache/nook-vm/run.XXXXXX)
    trap 'rm -rf "$stage"' EXIT
    chmod 0755 "$stage"
    install -m 0755 bin/nook bin/vm/probe bin/vm/fakesystemd bin/e2e-vm.test "$stage/"
    testdata/vm/run.sh -C "$stage" NOOK_E2E_BINARY="$stage/nook" NOOK_E2E_PROBE="$stage/probe" \
        NOOK_E2E_FAKESYSTEMD="$stage/fakesystemd" \
        "$stage/e2e-vm.test" -test.v -test.run '^TestVM' -test.timeout 5m "$@"

check: lint static test test-vm

# Start-up time against bubblewrap (root; runs the commands as nooktest).
bench-start:
    bash bench/start.sh

# Image pull and run against rootless podman (root; needs podman, runc, docker-registry).
bench-pull:
    bash bench/pull.sh

# iperf3 throughput container<->host against slirp4netns and pasta (root; needs slirp4netns, passt, iperf3).
bench-net:
    bash bench/net.sh

# iperf3 throughput of nook's slirp, gvisor-tap-vsock and RootlessKit v3's driver on one TAP setup (root; needs iperf3).
bench-stacks *ARGS:
    CGO_ENABLED=0 go -C bench/stacks build -trimpath -o {{ justfile_directory() }}/bin/bench/stacks .
    CGO_ENABLED=0 go -C bench/stacks/gvtap build -trimpath -o {{ justfile_directory() }}/bin/bench/stacks-gvtap .
    bin/bench/stacks {{ ARGS }}

# run -d, exec and rm -f, and an idle container's keepers' memory, against rootless podman (root).
bench-life:
    BENCH_ONLY=life bash bench/pull.sh

# All benchmarks.
bench: bench-start bench-pull bench-net bench-stacks bench-life
