package listing

import (
	"strconv"
	"strings"
	"unicode"
)

// commandWidth is how many columns Docker gives COMMAND without --no-trunc.
const commandWidth = 20

// commandLine is the command as Docker's daemon reports it: the arguments
// after the program that contain a space are put in single quotes, so
// `sh -c 'echo hi'` still reads as three words.
func commandLine(argv []string) string {
	if len(argv) == 0 {
		return ""
	}
	words := []string{argv[0]}
	for _, a := range argv[1:] {
		if strings.Contains(a, " ") {
			a = "'" + a + "'"
		}
		words = append(words, a)
	}
	return strings.Join(words, " ")
}

// quotedCommand is the COMMAND column: `"sleep 1000"`, cut to 20 columns
// with "…" unless noTrunc.
func quotedCommand(argv []string, noTrunc bool) string {
	s := commandLine(argv)
	if !noTrunc {
		s = ellipsis(s, commandWidth)
	}
	return strconv.Quote(s)
}

// ellipsis cuts s to at most width terminal columns, the last one "…".
func ellipsis(s string, width int) string {
	if displayWidth(s) <= width {
		return s
	}
	var b strings.Builder
	used := 0
	for _, r := range s {
		w := runeWidth(r)
		if used+w > width-1 {
			break
		}
		b.WriteRune(r)
		used += w
	}
	return b.String() + "…"
}

func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

// wide are the East Asian wide scripts and the emoji blocks, which a
// terminal draws two columns wide. Docker counts with go-runewidth; this
// covers what appears in commands without pulling it in.
var wide = []*unicode.RangeTable{unicode.Han, unicode.Hangul, unicode.Hiragana, unicode.Katakana,
	{R16: []unicode.Range16{{Lo: 0xff01, Hi: 0xff60, Stride: 1}, {Lo: 0xffe0, Hi: 0xffe6, Stride: 1}},
		R32: []unicode.Range32{{Lo: 0x1f300, Hi: 0x1faff, Stride: 1}}}}

func runeWidth(r rune) int {
	switch {
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
		return 0
	case unicode.In(r, wide...):
		return 2
	}
	return 1
}
