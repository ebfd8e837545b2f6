package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/aloft-run/aloft/internal/cliconfig"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
)

const configAbout = `
The config file tells the CLI where the deployed control plane is (the
bucket, region, Batch job queues, image repository, advance queue), so
that the bucket commands need no --store. It lives at $ALOFT_CONFIG, else
$XDG_CONFIG_HOME/aloft/config.json, else ~/.config/aloft/config.json.

  aloft config from-stack STACK [--region R]
      reads the outputs of the CloudFormation stack cdk/ deployed and
      writes them to the config file
  aloft config show [--json]
      prints the config file

--store and $ALOFT_STORE still win over the file's store.`

func configCmd(ctx context.Context, args []string, io Stdio) int {
	return subcommand(ctx, args, io, "config", configAbout, []sub{
		{[]string{"from-stack"}, configFromStack},
		{[]string{"show"}, configShow},
	})
}

// loadConfig reads the config file; found is false when there is none.
func loadConfig(env Env) (c cliconfig.Config, found bool, err error) {
	if env.Config == "" {
		return c, false, nil
	}
	c, err = cliconfig.Load(env.Config)
	if errors.Is(err, fs.ErrNotExist) {
		return c, false, nil
	}
	return c, err == nil, err
}

// awsConfig is the AWS configuration: Env.AWS, else the standard chain
// (environment, shared files, SSO, instance roles; AWS_ENDPOINT_URL). A
// region the chain does not name comes from the config file.
func awsConfig(ctx context.Context, env Env) (aws.Config, error) {
	var cfg aws.Config
	var err error
	if env.AWS != nil {
		cfg, err = env.AWS(ctx)
	} else {
		cfg, err = config.LoadDefaultConfig(ctx)
	}
	if err != nil {
		return cfg, fmt.Errorf("load the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		if c, found, _ := loadConfig(env); found {
			cfg.Region = c.Region
		}
	}
	return cfg, nil
}

func configFromStack(ctx context.Context, args []string, io Stdio) int {
	fs := newFlagSet("config from-stack", "aloft config from-stack STACK [--region R]",
		"Writes the config file from the outputs of a deployed aloft stack.", io)
	region := fs.String("region", "", "the stack's AWS `region` (default: the AWS configuration's)")
	pos, code := parseFlags(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) != 1 {
		return usageErr(io, "config from-stack", "want one stack name (as given to cdk deploy)")
	}
	if io.Env.Config == "" {
		return failErr(io, "config from-stack", errors.New("no place for the config file: set ALOFT_CONFIG or HOME"))
	}
	cfg, err := awsConfig(ctx, io.Env)
	if err != nil {
		return failErr(io, "config from-stack", err)
	}
	if *region != "" {
		cfg.Region = *region
	}
	c, err := cliconfig.FromStack(ctx, cloudformation.NewFromConfig(cfg), pos[0])
	if err != nil {
		return failErr(io, "config from-stack", err)
	}
	if c.Region == "" {
		c.Region = cfg.Region
	}
	if err := cliconfig.Save(io.Env.Config, c); err != nil {
		return failErr(io, "config from-stack", err)
	}
	fmt.Fprintf(io.Out, "wrote %s:\n", io.Env.Config)
	configTable(c).write(io.Out)
	return exitOK
}

func configShow(ctx context.Context, args []string, io Stdio) int {
	fs := newFlagSet("config show", "aloft config show [--json]", "Prints the config file.", io)
	asJSON := fs.Bool("json", false, "print the file's JSON")
	pos, code := parseFlags(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) > 0 {
		return usageErr(io, "config show", "unexpected argument %q", pos[0])
	}
	c, found, err := loadConfig(io.Env)
	if err != nil {
		return failErr(io, "config show", err)
	}
	if !found {
		where := io.Env.Config
		if where == "" {
			where = "$ALOFT_CONFIG"
		}
		fmt.Fprintf(io.Err, "no config file at %s (write one with: aloft config from-stack STACK)\n", where)
		return exitOK
	}
	if *asJSON {
		if err := writeJSON(io.Out, c); err != nil {
			return failErr(io, "config show", err)
		}
		return exitOK
	}
	fmt.Fprintf(io.Out, "%s:\n", io.Env.Config)
	configTable(c).write(io.Out)
	return exitOK
}

// configTable is the config as "  key  value" lines; empty values show "-".
func configTable(c cliconfig.Config) *table {
	t := &table{}
	row := func(k, v string) {
		if v == "" {
			v = "-"
		}
		t.add("  "+k, v)
	}
	row("store", c.Store)
	row("region", c.Region)
	row("stack", c.Stack)
	row("job queue cpu", c.JobQueues.CPU)
	row("job queue spot", c.JobQueues.Spot)
	row("job queue gpu", c.JobQueues.GPU)
	row("image registry", c.Registry)
	row("advance queue", c.QueueURL)
	row("functions", fmt.Sprintf("advance %s, trigger %s, registrar %s", orDash(c.Functions.Advance), orDash(c.Functions.Trigger), orDash(c.Functions.Registrar)))
	return t
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
