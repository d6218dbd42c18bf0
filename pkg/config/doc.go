// Package config is the one configuration struct of every Grantflow process: defaults,
// then GRANTFLOW_* environment variables, then command-line flags, then Validate, so a bad
// setting stops the process at start with a clear message, never halfway through.
package config
