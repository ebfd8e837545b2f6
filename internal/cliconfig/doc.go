// Package cliconfig is the aloft CLI's configuration file: where the
// deployed control plane lives (the store, region, stack, Batch job queues,
// the ECR repository for task images, the advance queue and the function
// names), so that commands need no flags after `aloft config from-stack`.
//
// The file is JSON at $ALOFT_CONFIG, else $XDG_CONFIG_HOME/aloft/config.json,
// else ~/.config/aloft/config.json. [FromStack] fills a [Config] from the
// outputs of the CloudFormation stack that cdk/ deploys; the output keys it
// reads are the Output* constants, which the cdk tests check against the
// synthesized stack.
//
// It deliberately holds no credentials and does not decide precedence
// between flags, environment and file: the CLI does that.
package cliconfig
