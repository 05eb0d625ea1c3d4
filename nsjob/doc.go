// Package nsjob runs filesystem jobs (unpacking a layer, removing a tree,
// flattening layers) inside a user namespace with a container's id map, so
// that files get, and can be removed despite, the subordinate owners an
// image asks for.
//
// A Go process cannot enter a new user namespace once it runs (unshare
// refuses a multithreaded caller), so the jobs run in a helper: nook itself,
// re-executed as `/proc/self/exe __nook_nsjob` with CLONE_NEWUSER. Protocol,
// one JSON object per SOCK_SEQPACKET datagram on the helper's fd 3:
//
//	host                           helper (root in the namespace)
//	(id maps written)
//	{op:"go"}        ───────────►  checks it is mapped
//	                 ◄───────────  {id:0}  or {id:0, err}
//	{id:n, op:...}   ───────────►  runs each request in a goroutine
//	                 ◄───────────  {id:n, result | err, kind}
//	close / death    ─── EOF ───►  exits; the parent's death also kills it
//	                               (parent-death signal)
package nsjob
