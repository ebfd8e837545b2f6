package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/aloft-run/aloft/notify"
	"github.com/aloft-run/aloft/orchestrator"
)

// notifyUsage is the help of --notify, on run and launch.
const notifyUsage = "tell `TARGET` when the run fails or is aborted (repeatable): webhook:https://URL " +
	"(JSON; Slack incoming webhooks work as is), eventbridge or sns; on=succeeded,failed,aborted:TARGET picks the phases"

// parseNotify checks the values of --notify.
func parseNotify(vals []string) ([]orchestrator.Notification, error) {
	var out []orchestrator.Notification
	for _, v := range vals {
		n, err := orchestrator.ParseNotifyFlag(v)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// cliNotifier sends the notifications of runs aloft drives itself: webhooks
// at once, EventBridge and SNS with the AWS configuration, loaded when a
// notification first needs it.
type cliNotifier struct {
	env  Env
	web  *notify.Sender
	once sync.Once
	aws  *notify.Sender
	err  error
}

func newCLINotifier(env Env) *cliNotifier {
	return &cliNotifier{env: env, web: notify.FromEnv(nil, os.Getenv)}
}

// Notify implements engine.Notifier.
func (n *cliNotifier) Notify(ctx context.Context, target string, s *orchestrator.State) error {
	if strings.HasPrefix(target, orchestrator.TargetWebhook+":") {
		return n.web.Notify(ctx, target, s)
	}
	n.once.Do(func() {
		cfg, err := awsConfig(ctx, n.env)
		if err != nil {
			n.err = fmt.Errorf("%s: %w", target, err)
			return
		}
		n.aws = notify.FromEnv(&cfg, os.Getenv)
	})
	if n.err != nil {
		return n.err
	}
	return n.aws.Notify(ctx, target, s)
}
