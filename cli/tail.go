package cli

import (
	"fmt"
	"strconv"
)

func parseTail(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid --tail %q: give a number of lines, or all", s)
	}
	return n, nil
}
