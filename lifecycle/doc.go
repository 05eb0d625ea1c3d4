// Package lifecycle keeps the records of the user's containers between
// commands, so that `nook ps`, `stop`, `logs`, `rm` ... work from any shell
// without a daemon. Under the image store's root, in lifecycle/:
//
//	lifecycle/ID/config.json   what the container is (written at create, and by rename)
//	lifecycle/ID/status.json   what it is doing (written by its supervisor)
//	lifecycle/ID/ctr.log       its output (package logs)
//	lifecycle/ID/lock          flocked by whoever changes its state
//	lifecycle/names/NAME       holds ID: a name is taken by creating it (O_EXCL)
//	lifecycle/lock             flocked while names are taken or given back
//
// Every file is written whole under a temporary name and renamed, so a
// reader sees the old record or the new one. A container whose status
// says it runs while its supervisor process is gone (killed, or the host
// rebooted) is reported as exited, with the reason.
package lifecycle
