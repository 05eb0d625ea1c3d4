// Package cli is nook's command line: kong grammar, flag checking, and the
// translation of flags into a container config.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"

	"github.com/alecthomas/kong"
	"nook/container"
	"nook/headstart"
)

// Version is set at build time (-ldflags "-X nook/cli.Version=...").
var Version = "0.1.0-dev"

// Exit statuses for nook's own failures, as Docker's.
const (
	exitUsage  = 2
	exitFailed = 125
)

// FlagsGlobal are the flags before the command. (Exported: grammarFor
// puts it in struct types it makes, and reflection cannot embed an
// unexported type.)
type FlagsGlobal struct {
	Debug bool `help:"Print the resolved spec and the mount plan on stderr."`
}

type grammar struct {
	FlagsGlobal
	Run       runCmd       `cmd:"" help:"Run a command in a new container."`
	Sandbox   sandboxCmd   `cmd:"" help:"Run a command in a sandbox on the host's own filesystem, read-only."`
	Pull      pullCmd      `cmd:"" help:"Pull an image from a registry."`
	Images    imagesCmd    `cmd:"" help:"List stored images."`
	Rmi       rmiCmd       `cmd:"" help:"Remove images."`
	Tag       tagCmd       `cmd:"" help:"Give a stored image another name."`
	Image     imageCmd     `cmd:"" help:"Manage images (inspect, prune, ...)."`
	Load      loadCmd      `cmd:"" help:"Load images from a docker save or OCI layout archive."`
	Save      saveCmd      `cmd:"" help:"Save images to a docker save or OCI layout archive."`
	Import    importCmd    `cmd:"" help:"Make a one-layer image from a root filesystem tarball."`
	Create    createCmd    `cmd:"" help:"Create a container without starting it (nook start runs it)."`
	Ps        psCmd        `cmd:"" help:"List containers (running ones; -a for all)."`
	Start     startCmd     `cmd:"" help:"Start stopped containers."`
	Stop      stopCmd      `cmd:"" help:"Stop running containers (stop signal, then SIGKILL)."`
	Restart   restartCmd   `cmd:"" help:"Restart containers."`
	Kill      killCmd      `cmd:"" help:"Send a signal to running containers."`
	Rm        rmCmd        `cmd:"" help:"Remove containers."`
	Wait      waitCmd      `cmd:"" help:"Wait for containers to stop and print their exit codes."`
	Logs      logsCmd      `cmd:"" help:"Show a container's output."`
	Inspect   inspectCmd   `cmd:"" help:"Show containers' (or images') details as JSON."`
	Rename    renameCmd    `cmd:"" help:"Rename a container."`
	Top       topCmd       `cmd:"" help:"List a container's processes."`
	Exec      execCmd      `cmd:"" help:"Run a command in a running container."`
	Cp        cpCmd        `cmd:"" help:"Copy files between a container and the host."`
	Container containerCmd `cmd:"" help:"Manage containers (ls, rm, prune, ...)."`
	Stats     statsCmd     `cmd:"" help:"Show CPU, memory, PID and I/O use of running containers."`
	Port      portCmd      `cmd:"" help:"List a running container's published ports."`
	Info      infoCmd      `cmd:"" help:"Show what this host supports and how to fix what it lacks."`
	Version   versionCmd   `cmd:"" help:"Print nook's version."`
}

// Building kong's model of the whole grammar costs about 3.5 ms
// (reflection and tag interpolation for every flag of every command),
// more than a container start's share of nook's own work; when the first
// argument names a command, only that command is built: a struct type of
// the global flags and that one field of grammar, made with reflection.
// `nook --help` and anything else get it all.
func grammarFor(args []string) any {
	if len(args) == 0 {
		return &grammar{}
	}
	full := reflect.TypeOf(grammar{})
	for i := 0; i < full.NumField(); i++ {
		f := full.Field(i)
		if f.Anonymous || !names(f, args[0]) {
			continue
		}
		global, _ := full.FieldByName("FlagsGlobal")
		return reflect.New(reflect.StructOf([]reflect.StructField{global, f})).Interface()
	}
	return &grammar{}
}

// names reports whether command field f is called name (or has it as an
// alias).
func names(f reflect.StructField, name string) bool {
	if _, ok := f.Tag.Lookup("cmd"); !ok {
		return false
	}
	if strings.ToLower(f.Name) == name {
		return true
	}
	for _, a := range strings.Split(f.Tag.Get("aliases"), ",") {
		if a == name {
			return true
		}
	}
	return false
}

// debugOf reads --debug from a grammar grammarFor made.
func debugOf(g any) bool {
	return reflect.ValueOf(g).Elem().FieldByName("FlagsGlobal").Interface().(FlagsGlobal).Debug
}

// globals reach every command's Run.
type globals struct {
	Debug  bool
	Stdout io.Writer
	Stderr io.Writer
	// sup is the detached container this process supervises (run -d).
	sup *supervised
}

// exitError carries a status from a command to main.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// Main runs nook with args (without the program name) and returns the exit
// status.
func Main(args []string) (code int) {
	// A bug must still end in one line and nook's status, never a stack
	// trace on the user's terminal.
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "nook: internal error: %v (please report it with --debug output)\n", r)
			code = exitFailed
		}
	}()
	if id := os.Getenv(headstart.Env); id != "" {
		return report(supervise(id))
	}
	// Not the run -d it looked like (or did not parse): see headstart.
	defer headstart.Unclaimed()
	g := grammarFor(args)
	parser, err := kong.New(g,
		kong.Name("nook"),
		kong.Description("Rootless containers and sandboxes in one static binary: no daemon, no root."),
		kong.UsageOnError(),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
		kong.Exit(func(code int) { os.Exit(code) }),
	)
	if err != nil {
		fmt.Fprintf(os.Stderr, "nook: %v\n", err)
		return exitFailed
	}
	parser.Stderr = io.Discard // usage on error is replaced by our one line
	ctx, err := parser.Parse(args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "nook: %s\n", usageError(err, args))
		return exitUsage
	}
	err = ctx.Run(&globals{Debug: debugOf(g), Stdout: os.Stdout, Stderr: os.Stderr})
	return report(err)
}

func usageError(err error, args []string) string {
	cmd := "nook"
	var pe *kong.ParseError
	if errors.As(err, &pe) && pe.Context != nil && pe.Context.Selected() != nil {
		cmd = "nook " + pe.Context.Selected().FullPath()
		cmd = strings.Replace(cmd, "nook nook", "nook", 1)
	}
	return fmt.Sprintf("%v (see '%s --help')", err, cmd)
}

func report(err error) int {
	if err == nil {
		return 0
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	var fe failedErr
	if errors.As(err, &fe) {
		fmt.Fprintf(os.Stderr, "nook: %v\n", fe.err)
		return 1
	}
	var ue usageErr
	if errors.As(err, &ue) {
		fmt.Fprintf(os.Stderr, "nook: %s\n", ue)
		return exitUsage
	}
	var ce *container.Error
	if errors.As(err, &ce) {
		fmt.Fprintf(os.Stderr, "nook: %s\n", ce.Msg)
		return ce.Code
	}
	fmt.Fprintf(os.Stderr, "nook: %v\n", err)
	return exitFailed
}

type versionCmd struct{}

func (versionCmd) Run(g *globals) error {
	_, err := fmt.Fprintf(g.Stdout, "nook %s\n", Version)
	return err
}
