package slirp

func (n *Network) setICMPHandlers() {}
