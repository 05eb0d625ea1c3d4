// Package listing is how `nook ps` shows containers: Docker's STATUS,
// CREATED, PORTS and COMMAND columns, its --filter semantics, and the
// table, quiet, JSON and Go-template outputs. It holds no state: the
// lifecycle code gathers the records and passes them in.
//
// Docker's CLI (cli/command/formatter) is the reference; where nook
// differs, on purpose:
//
//   - Ports. nook binds one dual-stack socket for a -p without HOSTIP; a
//     Port with HostIP "" is shown as the two bindings Docker would have,
//     "0.0.0.0:8080->80/tcp, [::]:8080->80/tcp", and a record that already
//     lists 0.0.0.0 and :: (what ports.Bound reports) prints the same.
//   - STATUS carries Container.Reason in parentheses, where Docker puts a
//     health state: "Exited (137) 5 minutes ago (supervisor killed)".
//   - --format json is podman's array of objects (Id, Names, Image,
//     Command, Created, State, Status, Ports, Labels, ExitCode, ...), which
//     scripts read with one jq expression; `{{json .}}` still gives
//     Docker's one object of strings per line, without its "\u003e".
//   - A table column of `.Label "KEY"` is headed KEY in capitals; Docker's
//     heading for it is empty.
//   - A --format naming an unknown field fails even when no container is
//     listed, and nothing is printed before any template error.
//   - Widths count East Asian wide characters and emoji as two columns
//     with a small table rather than go-runewidth; the table's alignment,
//     like text/tabwriter's, counts runes.
//
// As Docker: -q wins over --format; the values of one filter key are
// alternatives and different keys must all hold, but every label filter
// must hold; name and id values match as unanchored regular expressions;
// a status filter shows stopped containers without -a, an exited filter
// does not.
package listing
