package cliconfig

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Config is the CLI's view of one deployed aloft stack.
type Config struct {
	Store     string    `json:"store"`            // s3://bucket[/prefix]
	Region    string    `json:"region,omitempty"` // AWS region of the stack
	Stack     string    `json:"stack,omitempty"`  // CloudFormation stack name
	JobQueues JobQueues `json:"job_queues"`
	Registry  string    `json:"registry,omitempty"`  // ECR repository URI for task images
	QueueURL  string    `json:"queue_url,omitempty"` // the advance queue
	Functions Functions `json:"functions"`
}

// JobQueues are the AWS Batch job queue ARNs: on-demand CPU, spot
// (interruptible tasks) and GPU.
type JobQueues struct {
	CPU  string `json:"cpu,omitempty"`
	Spot string `json:"spot,omitempty"`
	GPU  string `json:"gpu,omitempty"`
}

// Functions are the Lambda function names of the control plane.
type Functions struct {
	Advance   string `json:"advance,omitempty"`
	Trigger   string `json:"trigger,omitempty"`
	Registrar string `json:"registrar,omitempty"`
}

// Path is where the configuration file lives: $ALOFT_CONFIG, else
// $XDG_CONFIG_HOME/aloft/config.json, else ~/.config/aloft/config.json.
func Path() (string, error) {
	if p := os.Getenv("ALOFT_CONFIG"); p != "" {
		return p, nil
	}
	if d := os.Getenv("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, "aloft", "config.json"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("locate the aloft config file: %w (set ALOFT_CONFIG)", err)
	}
	return filepath.Join(home, ".config", "aloft", "config.json"), nil
}

// Load reads the configuration at path. A missing file is an error that
// matches fs.ErrNotExist, so callers can fall back to flags.
func Load(path string) (Config, error) {
	var c Config
	b, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("read aloft config: %w", err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return Config{}, fmt.Errorf("parse aloft config %s: %w", path, err)
	}
	return c, nil
}

// Save writes c to path atomically: a temporary file in the same directory,
// synced, then renamed over path, so a reader sees the old file or the new
// one and never half of one. The directory is created (0700) when missing
// and the file is private (0600).
func Save(path string, c Config) (err error) {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("encode aloft config: %w", err)
	}
	b = append(b, '\n')
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("save aloft config: %w", err)
	}
	f, err := os.CreateTemp(dir, ".config-*.json")
	if err != nil {
		return fmt.Errorf("save aloft config: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("save aloft config: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("save aloft config: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("save aloft config: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("save aloft config: %w", err)
	}
	syncDir(dir)
	return nil
}

// syncDir makes the rename durable where the platform allows it; failure
// only weakens durability, never correctness, so it is not reported.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	d.Close()
}
