package lifecycle

import (
	"fmt"
	"math/rand/v2"
	"os"
)

// Generated names are an adjective and a noun, as Docker's are; the words
// are nook's own: things found in a nook.
var (
	adjectives = []string{
		"amber", "bold", "brave", "calm", "cosy", "crisp", "dusty", "eager", "fond", "gentle",
		"golden", "hidden", "humble", "jolly", "keen", "kind", "lively", "lucky", "mellow", "merry",
		"misty", "nimble", "patient", "plucky", "quiet", "quick", "rustic", "shy", "silent", "snug",
		"steady", "sunny", "swift", "tidy", "tiny", "velvet", "warm", "wise", "witty", "zesty",
	}
	nouns = []string{
		"acorn", "armchair", "attic", "basket", "beacon", "bench", "blanket", "bookshelf", "candle", "cushion",
		"dormer", "easel", "fern", "fireside", "hammock", "hearth", "inkwell", "kettle", "lantern", "ledge",
		"loft", "mantel", "nest", "niche", "ottoman", "pantry", "pillow", "porch", "quilt", "rafter",
		"rug", "shelf", "sill", "stool", "teapot", "thimble", "window", "alcove", "cubby", "burrow",
	}
)

// GenerateName picks a free name (lifecycle/names has none of that name;
// Create still decides, under its lock).
func (s *Store) GenerateName() string {
	for i := 0; ; i++ {
		name := adjectives[rand.IntN(len(adjectives))] + "_" + nouns[rand.IntN(len(nouns))]
		if i >= 20 {
			name += fmt.Sprintf("%d", rand.IntN(1000))
		}
		if _, err := os.Stat(s.namePath(name)); os.IsNotExist(err) {
			return name
		}
	}
}
