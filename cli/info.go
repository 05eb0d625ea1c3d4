package cli

type infoCmd struct {
	Format string `default:"text" enum:"text,json" help:"Output format: text or json."`
}

func (c *infoCmd) Run(g *globals) error {
	return nil
}
