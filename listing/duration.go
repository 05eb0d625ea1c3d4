package listing

import (
	"fmt"
	"time"
)

// HumanDuration approximates d the way Docker's go-units does, so that
// nook's columns read like Docker's: whole seconds and minutes rounded
// down, hours rounded to the nearest, then days, weeks, months and years
// rounded down. A negative d (a clock set back) is "Less than a second".
func HumanDuration(d time.Duration) string {
	seconds := int(d.Seconds())
	minutes := int(d.Minutes())
	hours := int(d.Hours() + 0.5)
	switch {
	case seconds < 1:
		return "Less than a second"
	case seconds == 1:
		return "1 second"
	case seconds < 60:
		return fmt.Sprintf("%d seconds", seconds)
	case minutes == 1:
		return "About a minute"
	case minutes < 60:
		return fmt.Sprintf("%d minutes", minutes)
	case hours == 1:
		return "About an hour"
	case hours < 48:
		return fmt.Sprintf("%d hours", hours)
	case hours < 24*7*2:
		return fmt.Sprintf("%d days", hours/24)
	case hours < 24*30*2:
		return fmt.Sprintf("%d weeks", hours/24/7)
	case hours < 24*365*2:
		return fmt.Sprintf("%d months", hours/24/30)
	}
	// Years alone are rounded down, as go-units does.
	return fmt.Sprintf("%d years", int(d.Hours())/24/365)
}
