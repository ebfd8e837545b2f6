package console

import (
	"context"
	"errors"
	"net/http"
	"sort"

	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/registry"
	"github.com/aloft-run/aloft/store"
)

// actionAnswer says what an action wrote.
type actionAnswer struct {
	Key       string `json:"request"`
	Execution string `json:"execution,omitempty"` // relaunch, recover: the new one
	Message   string `json:"message"`
}

func (s *Server) apiAction(w http.ResponseWriter, r *http.Request) {
	ref := refOf(r)
	ctx := r.Context()
	var st orchestrator.State // the header is enough
	if _, err := store.GetJSON(ctx, s.st, ref.StateKey(), &st); err != nil {
		httpError(w, err)
		return
	}
	var ans actionAnswer
	var err error
	switch a := r.PathValue("action"); a {
	case "terminate":
		ans, err = s.terminate(ctx, ref, &st)
	case layout.RequestRelaunch, layout.RequestRecover:
		ans, err = s.rerun(ctx, a, ref, &st)
	default:
		err = badf("no action %q: terminate, relaunch or recover", a)
	}
	if err != nil {
		httpError(w, err)
		return
	}
	writeJSON(w, ans)
}

func (s *Server) terminate(ctx context.Context, ref engine.Ref, st *orchestrator.State) (actionAnswer, error) {
	if st.Phase.Terminal() {
		return actionAnswer{}, badf("execution %s already %s; nothing to terminate", ref.Exec, st.Phase)
	}
	req := &registry.CancelRequest{Project: ref.Project, Domain: ref.Domain, Exec: ref.Exec, Reason: "terminated from the console", RequestedAt: s.opt.Now().UTC()}
	if err := registry.PutCancelRequest(ctx, s.st, req); err != nil {
		return actionAnswer{}, err
	}
	return actionAnswer{Key: layout.CancelRequestKey(ref.Exec), Message: "cancel requested: the execution ends aborted once its running tasks are stopped"}, nil
}

// rerun writes a relaunch or recover request (registry.AgainRequest,
// Decision 25), which the control plane (the advance function, or aloft dev
// on a local bucket) consumes as it does launch requests.
func (s *Server) rerun(ctx context.Context, kind string, ref engine.Ref, st *orchestrator.State) (actionAnswer, error) {
	if kind == layout.RequestRecover && st.Phase != orchestrator.ExecFailed && st.Phase != orchestrator.ExecAborted {
		return actionAnswer{}, badf("execution %s is %s: only a failed or aborted execution can be recovered (relaunch reruns any)", ref.Exec, st.Phase)
	}
	req := registry.AgainRequest{Kind: kind, ID: s.opt.NewID(), Project: ref.Project, Domain: ref.Domain, From: ref.Exec,
		RequestedAt: s.opt.Now().UTC(), Cause: "console"}
	if _, err := registry.PutAgainRequest(ctx, s.st, &req); err != nil {
		return actionAnswer{}, err
	}
	return actionAnswer{Key: layout.RequestKey(kind, req.ID), Execution: req.ID, Message: kind + " requested as execution " + req.ID}, nil
}

// planView is one launch plan on the launch-plans page.
type planView struct {
	Project  string   `json:"project"`
	Domain   string   `json:"domain"`
	Name     string   `json:"name"`
	Versions []string `json:"versions"`
	Active   string   `json:"active,omitempty"`
}

func (s *Server) apiLaunchPlans(w http.ResponseWriter, r *http.Request) {
	objs, err := store.ListKeys(r.Context(), s.st, layout.RegistryRoot)
	if err != nil {
		httpError(w, err)
		return
	}
	byName := map[[3]string]*planView{}
	var order [][3]string
	get := func(p, d, n string) *planView {
		k := [3]string{p, d, n}
		if v := byName[k]; v != nil {
			return v
		}
		byName[k] = &planView{Project: p, Domain: d, Name: n}
		order = append(order, k)
		return byName[k]
	}
	for _, o := range objs {
		if p, d, n, v, ok := layout.ParseLaunchPlanKey(o.Key); ok {
			get(p, d, n).Versions = append(get(p, d, n).Versions, v)
		} else if p, d, n, ok := layout.ParsePlanPointerKey(o.Key); ok {
			if a, err := registry.GetActive(r.Context(), s.st, p, d, n); err == nil && !a.Paused {
				get(p, d, n).Active = a.Version
			}
		}
	}
	out := make([]planView, 0, len(order))
	for _, k := range order {
		out = append(out, *byName[k])
	}
	writeJSON(w, out)
}

func (s *Server) apiPlanAction(w http.ResponseWriter, r *http.Request) {
	p, d, n := r.PathValue("project"), r.PathValue("domain"), r.PathValue("name")
	var err error
	switch a := r.PathValue("action"); a {
	case "activate":
		v := r.URL.Query().Get("version")
		if v == "" {
			err = badf("activate needs ?version=V (a registered version of launch plan %s)", n)
			break
		}
		err = registry.SetActive(r.Context(), s.st, p, d, n, v, s.opt.Now())
		if errors.Is(err, registry.ErrNotFound) {
			err = badf("%v", err)
		}
	case "deactivate":
		err = registry.Deactivate(r.Context(), s.st, p, d, n)
	default:
		err = badf("no action %q: activate or deactivate", a)
	}
	if err != nil {
		httpError(w, err)
		return
	}
	writeJSON(w, actionAnswer{Key: layout.PlanPointerKey(p, d, n), Message: "launch plan " + n + " " + r.PathValue("action") + "d"})
}

// WorkflowSummary is a registered workflow and its versions.
type WorkflowSummary struct {
	Project  string   `json:"project"`
	Domain   string   `json:"domain"`
	Name     string   `json:"name"`
	Versions []string `json:"versions"`
}

func (s *Server) apiWorkflows(w http.ResponseWriter, r *http.Request) {
	out, err := ListWorkflows(r.Context(), s.st)
	if err != nil {
		httpError(w, err)
		return
	}
	writeJSON(w, out)
}

// ListWorkflows lists the registered workflows and their versions, sorted
// by project, domain and name (the CLI's aloft workflows list uses it too).
func ListWorkflows(ctx context.Context, st store.Store) ([]WorkflowSummary, error) {
	objs, err := store.ListKeys(ctx, st, layout.RegistryRoot)
	if err != nil {
		return nil, err
	}
	var out []WorkflowSummary
	for _, o := range objs {
		p, d, n, v, ok := layout.ParseWorkflowKey(o.Key)
		if !ok {
			continue
		}
		if k := len(out) - 1; k >= 0 && out[k].Project == p && out[k].Domain == d && out[k].Name == n {
			out[k].Versions = append(out[k].Versions, v)
			continue
		}
		out = append(out, WorkflowSummary{Project: p, Domain: d, Name: n, Versions: []string{v}})
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		return a.Project+"/"+a.Domain+"/"+a.Name < b.Project+"/"+b.Domain+"/"+b.Name
	})
	return out, nil
}
