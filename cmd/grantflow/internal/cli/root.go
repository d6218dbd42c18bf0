package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Env is what the commands read and write: the process's by default, a test's otherwise.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// ConfigDir holds the stored profile (under grantflow/); "" is os.UserConfigDir().
	ConfigDir string
	// HTTP is the client of every call; nil is http.DefaultClient.
	HTTP *http.Client
}

// ProcessEnv is the environment of a real run.
func ProcessEnv() Env {
	return Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
}

// Server is how the grantflow binary starts its server side; the command line only roots
// it as subcommands.
type Server struct {
	// Serve starts the all-in-one process (grantflow serve) with its flags.
	Serve func(args []string) error
	// SeedDemo seeds the demo organization into a running deployment (grantflow seed-demo).
	SeedDemo func(args []string) error
}

// ExitError ends the command with Code and no message of its own (the command printed what
// it had to say): diff's 2 when the server differs from the file.
type ExitError struct{ Code int }

func (e ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// Main runs the command line on args and returns the process's exit code: 0, 2 for a diff
// that found differences, 1 for any error (printed as one line on stderr).
func Main(args []string, env Env, srv Server) int {
	root := NewRoot(env, srv)
	root.SetArgs(args)
	err := root.Execute()
	var exit ExitError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp): // serve -h: the flag set printed its help
		return 0
	case errors.As(err, &exit):
		return exit.Code
	}
	for _, line := range strings.Split(strings.TrimRight(err.Error(), "\n"), "\n") {
		fmt.Fprintln(env.Stderr, "grantflow: "+line)
	}
	return 1
}

// NewRoot is the grantflow command tree: serve and seed-demo (the server side), then the
// client: login, requests, tasks, policies, audit, and cobra's completion.
func NewRoot(env Env, srv Server) *cobra.Command {
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	root := &cobra.Command{
		Use:   "grantflow",
		Short: "Grantflow: the access-governance server and its command line",
		Long: `grantflow is both the server and its command-line client.

  grantflow serve                 every service and the gateway in one process (make run)
  grantflow login --url URL       store the address and API key the commands use
  grantflow requests|tasks|policies|audit ...

The client calls the REST API (GRANTFLOW_URL and GRANTFLOW_API_KEY override the stored
profile). Output: -o table (the default, 80 columns), json (as the REST API writes it) or yaml.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	root.AddGroup(&cobra.Group{ID: "server", Title: "Server:"}, &cobra.Group{ID: "client", Title: "Client (REST):"})
	root.AddCommand(&cobra.Command{
		Use: "serve [flags]", GroupID: "server",
		Short: "Run the all-in-one process: every service and the gateway, with the demo organization",
		Long: `Run the all-in-one process: every service and the gateway in one process, talking real
gRPC over loopback, on the memory engine unless GRANTFLOW_POSTGRES_URL is set, with the
demo organization seeded and printed (GRANTFLOW_DEMO=0 skips it). Flags and GRANTFLOW_*
variables: grantflow serve -h.`,
		DisableFlagParsing: true, // the process's own flag set (pkg/config) reads them
		RunE:               func(_ *cobra.Command, args []string) error { return srv.Serve(args) },
	}, &cobra.Command{
		Use: "seed-demo", GroupID: "server", Hidden: true,
		Short:              "Seed the demo organization into a running distributed deployment (make up)",
		DisableFlagParsing: true,
		RunE:               func(_ *cobra.Command, args []string) error { return srv.SeedDemo(args) },
	})
	c := &cmdEnv{env: env}
	for _, cmd := range []*cobra.Command{c.login(), c.requests(), c.tasks(), c.policies(), c.reviews(), c.audit()} {
		cmd.GroupID = "client"
		root.AddCommand(cmd)
	}
	return root
}

// cmdEnv is what every client command shares: the environment, and the -o flag.
type cmdEnv struct {
	env    Env
	output string
}

// outputFlag adds -o to cmd.
func (c *cmdEnv) outputFlag(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVarP(&c.output, "output", "o", formatTable, "output format: table, json (as the REST API writes it) or yaml")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{formatTable, formatJSON, formatYAML}, cobra.ShellCompDirectiveNoFileComp))
}

func (c *cmdEnv) printer() (printer, error) {
	switch c.output {
	case formatTable, formatJSON, formatYAML:
		return printer{w: c.env.Stdout, format: c.output}, nil
	}
	return printer{}, fmt.Errorf("-o %q: want table, json or yaml", c.output)
}

// client is the REST client of the stored profile, as the environment overrides it.
func (c *cmdEnv) client() (*Client, error) {
	p, err := loadProfile(c.env.ConfigDir, c.env.Getenv)
	if err != nil {
		return nil, err
	}
	if p.URL == "" {
		return nil, errors.New("no server: run grantflow login --url URL, or set GRANTFLOW_URL")
	}
	if p.Key == "" {
		return nil, errors.New("no API key: run grantflow login, or set GRANTFLOW_API_KEY")
	}
	return &Client{BaseURL: p.URL, Key: p.Key, HTTP: c.env.HTTP}, nil
}

// run is the RunE of a client command: a context, the client and the printer.
func (c *cmdEnv) run(f func(ctx context.Context, cl *Client, out printer, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		out, err := c.printer()
		if err != nil {
			return err
		}
		cl, err := c.client()
		if err != nil {
			return err
		}
		return f(cmd.Context(), cl, out, args)
	}
}

// enumValue reads a flag's enum value by name (case does not matter); "" is the zero.
func enumValue(flag, v string, desc protoreflect.EnumDescriptor) (protoreflect.EnumNumber, error) {
	if v == "" {
		return 0, nil
	}
	if ev := desc.Values().ByName(protoreflect.Name(strings.ToUpper(v))); ev != nil && ev.Number() != 0 {
		return ev.Number(), nil
	}
	return 0, fmt.Errorf("--%s %q: want one of %s", flag, v, strings.Join(enumNames(desc), ", "))
}

func enumNames(desc protoreflect.EnumDescriptor) []string {
	var out []string
	for i := 0; i < desc.Values().Len(); i++ {
		if v := desc.Values().Get(i); v.Number() != 0 {
			out = append(out, string(v.Name()))
		}
	}
	return out
}

// enumCompletion completes a flag with an enum's names.
func enumCompletion(desc protoreflect.EnumDescriptor) cobra.CompletionFunc {
	return cobra.FixedCompletions(enumNames(desc), cobra.ShellCompDirectiveNoFileComp)
}
