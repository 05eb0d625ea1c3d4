//go:build linux && !amd64 && !arm64

package seccomp

// No syscall table for this architecture yet: Assemble reports it rather
// than installing a filter built from another architecture's numbers.
const (
	auditArch = 0
	x32Bit    = 0

	sysClone          = absent
	sysClone3         = absent
	sysAcct           = absent
	sysAddKey         = absent
	sysBPF            = absent
	sysClockSettime   = absent
	sysCreateModule   = absent
	sysDeleteModule   = absent
	sysFinitModule    = absent
	sysFsconfig       = absent
	sysFsmount        = absent
	sysFsopen         = absent
	sysFspick         = absent
	sysInitModule     = absent
	sysIoperm         = absent
	sysIopl           = absent
	sysKexecFileLoad  = absent
	sysKexecLoad      = absent
	sysKeyctl         = absent
	sysLookupDcookie  = absent
	sysMount          = absent
	sysMountSetattr   = absent
	sysMoveMount      = absent
	sysNameToHandleAt = absent
	sysNfsservctl     = absent
	sysOpenByHandleAt = absent
	sysOpenTree       = absent
	sysOpenTreeAttr   = absent
	sysPerfEventOpen  = absent
	sysPivotRoot      = absent
	sysQuotactl       = absent
	sysQuotactlFd     = absent
	sysReboot         = absent
	sysRequestKey     = absent
	sysSetns          = absent
	sysSettimeofday   = absent
	sysSwapoff        = absent
	sysSwapon         = absent
	sysSyslog         = absent
	sysUmount2        = absent
	sysUnshare        = absent
	sysUselib         = absent
	sysUserfaultfd    = absent
	sysVM86           = absent
	sysVM86old        = absent
)
