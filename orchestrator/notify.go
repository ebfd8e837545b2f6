package orchestrator

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
)

// NotifyTarget is a parsed notification target (Decision 26).
type NotifyTarget struct {
	Kind string // "webhook", "eventbridge" or "sns"
	URL  string // webhook only
}

// Notification target kinds.
const (
	TargetWebhook     = "webhook"
	TargetEventBridge = "eventbridge"
	TargetSNS         = "sns"
)

// notifyTargetHint shows the targets a notification may name.
const notifyTargetHint = "want webhook:https://HOST/PATH, eventbridge or sns"

// DefaultNotifyOn are the phases a --notify target hears of unless it
// names its own.
var DefaultNotifyOn = []string{"failed", "aborted"}

// ParseNotifyTarget checks a notification target: webhook:https://... (or
// http:// to this machine's loopback address, for tests), eventbridge (the
// default bus) or sns (the stack's notification topic).
func ParseNotifyTarget(s string) (NotifyTarget, error) {
	kind, rest, _ := strings.Cut(s, ":")
	switch kind {
	case TargetEventBridge, TargetSNS:
		if rest != "" {
			return NotifyTarget{}, fmt.Errorf("notification target %q: %s takes nothing after it", s, kind)
		}
		return NotifyTarget{Kind: kind}, nil
	case TargetWebhook:
		u, err := url.Parse(rest)
		if err != nil || u.Host == "" {
			return NotifyTarget{}, fmt.Errorf("notification target %q: want webhook:https://HOST/PATH", s)
		}
		if u.Scheme != "https" && !(u.Scheme == "http" && loopback(u.Hostname())) {
			return NotifyTarget{}, fmt.Errorf("notification target %q: a webhook must use https:// (plain http only to 127.0.0.1)", s)
		}
		return NotifyTarget{Kind: kind, URL: rest}, nil
	}
	return NotifyTarget{}, fmt.Errorf("notification target %q: unknown kind %q; %s", s, kind, notifyTargetHint)
}

func loopback(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ParseNotifyFlag parses the value of --notify: TARGET, heard on failed
// and aborted runs, or on=PHASE,...:TARGET, e.g.
// on=succeeded,failed:webhook:https://hooks.example.com/x.
func ParseNotifyFlag(s string) (Notification, error) {
	on := DefaultNotifyOn
	target := s
	if rest, ok := strings.CutPrefix(s, "on="); ok {
		phases, t, found := strings.Cut(rest, ":")
		if !found {
			return Notification{}, fmt.Errorf("--notify %q: want on=PHASE,...:TARGET", s)
		}
		on, target = strings.Split(phases, ","), t
		for _, p := range on {
			if !slices.Contains(notifyPhases, p) {
				return Notification{}, fmt.Errorf("--notify %q: unknown phase %q (on is a list of failed, succeeded, aborted)%s", s, p, didYouMean(p, notifyPhases))
			}
		}
	}
	if _, err := ParseNotifyTarget(target); err != nil {
		return Notification{}, fmt.Errorf("--notify: %w", err)
	}
	return Notification{On: slices.Clone(on), Target: target}, nil
}

// Wants reports whether n is to be sent when a run ends in phase.
func (n Notification) Wants(phase ExecPhase) bool {
	return slices.Contains(n.On, phase.String())
}
