//go:build nookinit

package initbin

import _ "embed"

// program is initbin/nook-init, built from ./initbin/program by `just build`.
//
//go:embed nook-init
var program []byte
