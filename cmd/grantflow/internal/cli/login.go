package cli

import (
	"bufio"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/spf13/cobra"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
)

func (c *cmdEnv) login() *cobra.Command {
	var url, key string
	cmd := &cobra.Command{
		Use:   "login --url URL [--api-key KEY]",
		Short: "Check a server address and API key, and store them as the profile the commands use",
		Long: `login checks the address and the API key with GET /v1/me, then stores them in
grantflow/profile.json under your config directory, readable by you only (mode 0600).
Without --api-key the key is read from standard input. GRANTFLOW_URL and
GRANTFLOW_API_KEY, when set, override the stored profile.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if url == "" {
				url = c.env.Getenv("GRANTFLOW_URL")
			}
			if url == "" {
				return errors.New("login needs --url (the gateway's address, e.g. http://127.0.0.1:8080)")
			}
			if !strings.Contains(url, "://") {
				url = "http://" + url
			}
			if key == "" {
				fmt.Fprint(c.env.Stderr, "API key: ")
				line, err := bufio.NewReader(c.env.Stdin).ReadString('\n')
				if err != nil && line == "" {
					return errors.New("login needs an API key (--api-key, or on standard input)")
				}
				key = strings.TrimSpace(line)
			}
			cl := &Client{BaseURL: url, Key: key, HTTP: c.env.HTTP}
			var me identityv1.GetMeResponse
			if err := cl.Do(cmd.Context(), http.MethodGet, "/v1/me", nil, nil, &me); err != nil {
				return fmt.Errorf("login: %w", err)
			}
			path, err := saveProfile(c.env.ConfigDir, Profile{URL: url, Key: key})
			if err != nil {
				return err
			}
			u := me.GetUser()
			fmt.Fprintf(c.env.Stdout, "Logged in to %s as %s (%s, %s). Profile: %s\n", url, u.GetDisplayName(), u.GetEmail(), u.GetRole(), path)
			return nil
		},
	}
	cmd.Flags().StringVar(&url, "url", "", "the gateway's address (GRANTFLOW_URL)")
	cmd.Flags().StringVar(&key, "api-key", "", "an API key; default: read from standard input")
	return cmd
}
