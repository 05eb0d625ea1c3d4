package cli

// isolation are the flags `run` and `sandbox` share.
type isolation struct {
	resources
	Env         []string `short:"e" placeholder:"KEY=VALUE" help:"Set an environment variable (KEY alone takes the caller's value)."`
	EnvFile     []string `placeholder:"FILE" help:"Read environment variables from FILE (KEY=VALUE lines)."`
	Workdir     string   `short:"w" placeholder:"DIR" help:"Working directory inside the container."`
	Hostname    string   `placeholder:"NAME" help:"Container host name."`
	Volume      []string `short:"v" placeholder:"HOST:CONTAINER[:ro|rw]" help:"Bind mount a host path."`
	Tmpfs       []string `placeholder:"PATH[:OPTS]" help:"Mount a tmpfs at PATH."`
	Interactive bool     `short:"i" help:"Keep stdin open and connected to the command."`
	TTY         bool     `short:"t" help:"Allocate a pseudo-terminal."`
	Init        bool     `help:"Run a small init as PID 1 that forwards signals and reaps zombies."`
	CapAdd      []string `placeholder:"CAP" help:"Add a capability to Docker's default set (ALL for all)."`
	CapDrop     []string `placeholder:"CAP" help:"Drop a capability from the default set (ALL for all)."`
	SecurityOpt []string `placeholder:"OPT" help:"no-new-privileges[=true|false] (default true), seccomp=unconfined."`
	Network     string   `default:"${network}" placeholder:"MODE" help:"Network (default ${network}): slirp[:OPTS] (a private namespace with user-mode networking; OPTS: cidr=10.0.2.0/24,mtu=65520,allow_host_loopback=true,enable_ipv6=true,dns=IP), none (only lo) or host."`
	Rm          bool     `help:"Remove the container and its changes to the image's files when it exits."`

	net network // --network read, by options
}

type runCmd struct {
	isolation `set:"network=slirp"`
	registryFlags
	Rootfs     string   `placeholder:"DIR" type:"existingdir" help:"Use DIR as the root filesystem instead of an image: every argument is then the command."`
	Pull       string   `default:"missing" enum:"missing,always,never" help:"Pull the image: missing (if not stored), always, never."`
	Entrypoint *string  `placeholder:"CMD" help:"Run CMD instead of the image's entrypoint (an empty CMD: none); the image's Cmd is dropped too."`
	User       string   `short:"u" placeholder:"USER[:GROUP]" help:"User (name or uid) and group to run as (default: the image's)."`
	ReadOnly   bool     `help:"Mount the root filesystem read-only."`
	Publish    []string `short:"p" sep:"none" placeholder:"[HOSTIP:]HOSTPORT:CONTAINERPORT[/PROTO]" help:"Publish a container port on the host (repeatable; HOSTPORT left out: a random one)."`
	PublishAll bool     `short:"P" help:"Publish every port the image exposes on a random host port."`
	Detach     bool     `short:"d" help:"Run in the background, print the container's id, and return."`
	Name       string   `placeholder:"NAME" help:"Name the container (default: a generated one)."`
	Restart    string   `default:"no" placeholder:"POLICY" help:"With -d: no, on-failure[:N] or always."`
	LogOpt     []string `placeholder:"OPT" help:"With -d: max-size=SIZE caps the log (default 10m)."`
	Label      []string `short:"l" placeholder:"KEY=VALUE" help:"With -d: set a label on the container (ps --filter label=...)."`
	Command    []string `arg:"" optional:"" passthrough:"partial" placeholder:"IMAGE [COMMAND]" help:"Image, then the command and its arguments (default: the image's)."`

	// OverlayLower is for the tests until images exist: the root is an
	// overlay of these layers, with --rootfs its merged directory.
	OverlayLower []string `hidden:"" sep:"none" placeholder:"DIR" help:"Overlay lower directory (repeatable, topmost first); --rootfs is the merged directory, upper/ and work/ beside it."`
}

type sandboxCmd struct {
	isolation `set:"network=none"`
	Rw        []string `placeholder:"PATH" help:"Make a host path writable inside the sandbox."`
	Ro        []string `placeholder:"PATH" help:"Bind a host path read-only (e.g. from under a hidden one)."`
	Hide      []string `placeholder:"PATH" help:"Hide a host path (an empty directory or file in its place)."`
	Root      bool     `help:"Appear as root (uid 0) inside the sandbox."`
	Command   []string `arg:"" passthrough:"partial" help:"Command and arguments."`
}
