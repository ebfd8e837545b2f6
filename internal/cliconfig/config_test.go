package cliconfig

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestPath(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	tests := []struct {
		name, aloftConfig, xdg, want string
	}{
		{"explicit", "/etc/aloft.json", "/x", "/etc/aloft.json"},
		{"xdg", "", "/x", "/x/aloft/config.json"},
		{"home", "", "", filepath.Join(home, ".config", "aloft", "config.json")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("ALOFT_CONFIG", tt.aloftConfig)
			t.Setenv("XDG_CONFIG_HOME", tt.xdg)
			got, err := Path()
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Path() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new", "dir", "config.json")
	want := sample()
	if err := Save(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load = %+v, want %+v", got, want)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("mode = %v, want 0600", perm)
	}

	// A second save replaces the file and leaves no temporary behind.
	want.Region = "eu-west-1"
	if err := Save(path, want); err != nil {
		t.Fatal(err)
	}
	if got, _ := Load(path); got.Region != "eu-west-1" {
		t.Errorf("after second save region = %q", got.Region)
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only config.json", len(entries))
	}
}

func TestLoadWireNames(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	doc := `{"store": "s3://b", "region": "us-east-1", "stack": "aloft",
	  "job_queues": {"cpu": "q1", "spot": "q2", "gpu": "q3"},
	  "registry": "r", "queue_url": "u",
	  "functions": {"advance": "a", "trigger": "t", "registrar": "g"}}`
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Store: "s3://b", Region: "us-east-1", Stack: "aloft",
		JobQueues: JobQueues{CPU: "q1", Spot: "q2", GPU: "q3"},
		Registry:  "r", QueueURL: "u",
		Functions: Functions{Advance: "a", Trigger: "t", Registrar: "g"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load = %+v, want %+v", got, want)
	}
}

func TestLoadMissingAndMalformed(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(filepath.Join(dir, "absent.json")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: err = %v, want fs.ErrNotExist", err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(bad); err == nil {
		t.Error("malformed file: no error")
	}
}

func sample() Config {
	return Config{
		Store:  "s3://aloft-bucket-1",
		Region: "us-east-1",
		Stack:  "aloft",
		JobQueues: JobQueues{
			CPU:  "arn:aws:batch:us-east-1:123456789012:job-queue/aloft-cpu",
			Spot: "arn:aws:batch:us-east-1:123456789012:job-queue/aloft-spot",
			GPU:  "arn:aws:batch:us-east-1:123456789012:job-queue/aloft-gpu",
		},
		Registry: "123456789012.dkr.ecr.us-east-1.amazonaws.com/aloft-tasks",
		QueueURL: "https://sqs.us-east-1.amazonaws.com/123456789012/aloft-advance",
		Functions: Functions{
			Advance:   "aloft-advance",
			Trigger:   "aloft-trigger",
			Registrar: "aloft-registrar",
		},
	}
}
