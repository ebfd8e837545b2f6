package engine

import (
	"context"
	"errors"

	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

// notify sends the notifications of an execution that ended in phase, at
// least once (Decision 26): unless its marker (layout.NotifiedKey) says
// they were sent, every target that wants phase is told, then the marker
// is written if absent. A crash between the two sends them again when the
// pending Notify is re-issued; once the marker exists nothing is sent. A
// target that cannot be told is warned about and never fails the run; the
// marker is left unwritten then, so a re-issued Notify tries again.
func (r *runner) notify(ctx context.Context, phase orchestrator.ExecPhase) {
	s := &r.l.state
	var targets []string
	for _, n := range s.Notifications {
		if n.Wants(phase) {
			targets = append(targets, n.Target)
		}
	}
	if len(targets) == 0 {
		return
	}
	ref := r.l.ref
	key := layout.NotifiedKey(ref.Project, ref.Domain, ref.Exec, phase.String())
	if _, err := r.e.cfg.Store.Head(ctx, key); err == nil {
		return
	}
	if r.e.cfg.Notifier == nil {
		r.e.warnf("execution %s %s: %d notification(s) not sent: this engine has no notifier", ref.Exec, phase, len(targets))
		return
	}
	sent := true
	for _, t := range targets {
		if err := r.e.cfg.Notifier.Notify(ctx, t, s); err != nil {
			r.e.warnf("execution %s %s: notification to %s not delivered: %v", ref.Exec, phase, t, err)
			sent = false
		}
	}
	if !sent {
		return
	}
	_, err := store.PutBytes(ctx, r.e.cfg.Store, key, []byte(ref.Exec), store.PutOptions{IfAbsent: true})
	if err != nil && !errors.Is(err, store.ErrConflict) {
		r.e.warnf("execution %s %s: record notifications sent: %v (they may be sent again)", ref.Exec, phase, err)
	}
}

// pendingCommands returns the commands a saved state implies (what a crash may have
// left undone): orchestrator.PendingCommands, with the Notify of an ended
// execution, which its marker deduplicates.
func pendingCommands(s orchestrator.State) []orchestrator.Command {
	cmds := orchestrator.PendingCommands(s)
	if s.Phase.Terminal() && len(s.Notifications) > 0 {
		cmds = append(cmds, orchestrator.Notify{Phase: s.Phase})
	}
	return cmds
}
