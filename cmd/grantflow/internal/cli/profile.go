package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Profile is where the command line calls and with which credential: what login stores.
type Profile struct {
	URL string `json:"url"`
	Key string `json:"apiKey"`
}

// profilePath is the stored profile's file: grantflow/profile.json under the user's
// config directory (os.UserConfigDir, or dir when the caller gives one).
func profilePath(dir string) (string, error) {
	if dir == "" {
		var err error
		if dir, err = os.UserConfigDir(); err != nil {
			return "", fmt.Errorf("no config directory for the profile: %w (set GRANTFLOW_URL and GRANTFLOW_API_KEY instead)", err)
		}
	}
	return filepath.Join(dir, "grantflow", "profile.json"), nil
}

// loadProfile reads the stored profile (an empty one when there is none), then lets
// GRANTFLOW_URL and GRANTFLOW_API_KEY override it.
func loadProfile(dir string, getenv func(string) string) (Profile, error) {
	var p Profile
	path, err := profilePath(dir)
	if err == nil {
		raw, rerr := os.ReadFile(path)
		switch {
		case errors.Is(rerr, fs.ErrNotExist):
		case rerr != nil:
			return p, rerr
		default:
			if err := json.Unmarshal(raw, &p); err != nil {
				return p, fmt.Errorf("%s: %w", path, err)
			}
		}
	}
	if v := getenv("GRANTFLOW_URL"); v != "" {
		p.URL = v
	}
	if v := getenv("GRANTFLOW_API_KEY"); v != "" {
		p.Key = v
	}
	return p, nil
}

// saveProfile writes p readable by its owner only (0600, in a 0700 folder): it holds a
// credential.
func saveProfile(dir string, p Profile) (string, error) {
	path, err := profilePath(dir)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	raw, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return "", err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(raw, '\n'), 0o600); err != nil {
		return "", err
	}
	if err := os.Chmod(tmp, 0o600); err != nil { // WriteFile keeps an existing file's mode
		return "", err
	}
	return path, os.Rename(tmp, path)
}
