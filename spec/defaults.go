// Package spec turns what the user asked for on the command line into an OCI
// runtime spec: the one description of a container that the init side
// applies, that --debug prints, and that an OCI-runtime mode can read.
package spec

// DefaultPath is Docker's PATH for a container whose image sets none.
const DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// maskedPaths are the OCI/Docker default paths hidden from containers: they
// leak host state (kernel memory, keys, timers) or offer host-wide knobs.
var maskedPaths = []string{
	"/proc/acpi",
	"/proc/asound",
	"/proc/interrupts",
	"/proc/kcore",
	"/proc/keys",
	"/proc/latency_stats",
	"/proc/sched_debug",
	"/proc/scsi",
	"/proc/timer_list",
	"/proc/timer_stats",
	"/sys/devices/virtual/powercap",
	"/sys/firmware",
}

// readonlyPaths are the OCI/Docker default read-only paths of /proc.
var readonlyPaths = []string{
	"/proc/bus",
	"/proc/fs",
	"/proc/irq",
	"/proc/sys",
	"/proc/sysrq-trigger",
}

// devices are bound from the host into the container's /dev tmpfs: an
// unprivileged user cannot mknod them.
var devices = []string{"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"}
