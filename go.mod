module nook

go 1.26.8

require (
	github.com/alecthomas/kong v1.17.0
	github.com/godbus/dbus/v5 v5.1.0
	github.com/klauspost/compress v1.19.2
	github.com/opencontainers/runtime-spec v1.3.0
	golang.org/x/sys v0.50.0
	golang.org/x/term v0.48.0
)
