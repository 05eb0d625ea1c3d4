//go:build !nookinit

package initbin

// program is empty without the nookinit tag: nook then re-executes itself.
var program []byte
