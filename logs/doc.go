// Package logs holds a detached container's stdout and stderr: its
// supervisor writes them to a size-capped file (Writer), and `nook logs`
// reads that file from any shell of the same user (Read), also while it
// grows.
//
// # The file
//
// One record a line, the shape the CRI and podman's k8s-file driver use:
//
//	2024-05-01T12:00:00.000000000Z stdout F hello
//	2024-05-01T12:00:00.100000000Z stderr P [=====
//
// The time the supervisor got the bytes (UTC, all nine fraction digits, so
// records line up and sort as text), the stream, F when the record ends a
// line or P when the line goes on in a later record of the same stream, one
// space, then the bytes exactly as the container wrote them. The newline
// that ends a line is not stored: F stands for it.
//
// Why not JSON lines (Docker's json-file): here a record's content needs no
// escaping at all — the newline is the only byte it cannot hold, and that
// is what F encodes — so bytes that are not UTF-8 and control characters
// come back unchanged, where encoding/json would turn invalid UTF-8 into
// U+FFFD; the file stays readable with cat, grep and tail; and each record
// is written whole with one write(2) ending in '\n', so a last line
// without its newline is one the writer has not finished (it is writing,
// or it was killed): a follower waits for the rest, any other reader
// leaves it out, and the next Writer (a restart) leaves it at the end of
// the previous file and starts a new one rather than append to it.
//
// A line longer than 16 KiB, or one written in pieces (a prompt, then the
// rest later), is several P records and one F record: readers join them,
// and because every record names its stream, stdout and stderr interleave
// record by record with each stream's bytes in order. Read treats a line
// as a whole: --since and --tail take or leave all of it, decided by its
// first record, and -t prefixes it once with that record's time.
//
// # Rotation
//
// With a size cap, a record that would take the file past it first moves
// the file to NAME.1 (replacing the previous one) and starts an empty NAME,
// so the log holds between one and two caps. The writer renames only after
// its last write to the old file; a follower keeps the file it reads open,
// and when NAME names another file it reads the old one to its end before
// it starts on the new one, so no record is lost or printed twice. If two
// rotations pass between two of its looks (every 50 ms), it reads NAME.1 on
// the way; what a third one deletes in that time is gone.
package logs
