package notification

import (
	"fmt"
	"time"
)

// LeaseEnv sets how long an attempt holds its delivery before another dispatcher may take
// it over (a duration; default 1m).
const LeaseEnv = "GRANTFLOW_WEBHOOK_LEASE"

// OptionsFromEnv reads the service's own settings: GRANTFLOW_WEBHOOK_ALLOW_PRIVATE ("1" or
// unset/"0") and GRANTFLOW_WEBHOOK_LEASE.
func OptionsFromEnv(getenv func(string) string) (Options, error) {
	var o Options
	switch v := getenv(AllowPrivateEnv); v {
	case "", "0", "false":
	case "1", "true":
		o.AllowPrivate = true
	default:
		return o, fmt.Errorf("%s=%q: want 1 or 0", AllowPrivateEnv, v)
	}
	if v := getenv(LeaseEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return o, fmt.Errorf("%s=%q: want a positive duration like 1m", LeaseEnv, v)
		}
		o.Lease = d
	}
	return o, nil
}
