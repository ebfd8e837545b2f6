package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/aloft-run/aloft/orchestrator"
	"go.yaml.in/yaml/v3"
)

// readInputs types the values given for a run: first those of the inputs
// file (JSON or YAML), then each --input name=value, typed by the
// workflow's declaration of that input. Defaults and required inputs are
// left to the engine (orchestrator.ResolveInputs). Relative paths of the
// inputs file resolve against dir; those of file inputs do so in the engine.
func readInputs(wf *orchestrator.Compiled, file string, kvs []string, dir string) (map[string]orchestrator.Literal, error) {
	out := map[string]orchestrator.Literal{}
	if file != "" {
		vals, err := readInputsFile(file, dir)
		if err != nil {
			return nil, err
		}
		names := make([]string, 0, len(vals))
		for k := range vals {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, name := range names {
			p, err := inputParam(wf, name)
			if err != nil {
				return nil, fmt.Errorf("--inputs-file %s: %w", file, err)
			}
			l, err := orchestrator.ParseValue(p.Type, vals[name])
			if err != nil {
				return nil, fmt.Errorf("--inputs-file %s: input %q expects %s: %w", file, name, p.Type, err)
			}
			out[name] = l
		}
	}
	for _, kv := range kvs {
		name, text, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("--input %q: want name=value", kv)
		}
		p, err := inputParam(wf, name)
		if err != nil {
			return nil, fmt.Errorf("--input %s: %w", kv, err)
		}
		l, err := orchestrator.ParseText(p.Type, text)
		if err != nil {
			return nil, fmt.Errorf("--input %s: input %q expects %s: %w", kv, name, p.Type, err)
		}
		out[name] = l
	}
	return out, nil
}

// inputParam finds a workflow input, or says which inputs there are.
func inputParam(wf *orchestrator.Compiled, name string) (*orchestrator.Param, error) {
	for i := range wf.Inputs {
		if wf.Inputs[i].Name == name {
			return &wf.Inputs[i], nil
		}
	}
	if len(wf.Inputs) == 0 {
		return nil, fmt.Errorf("workflow %s has no inputs", wf.Name)
	}
	return nil, fmt.Errorf("workflow %s has no input %q; its inputs are:\n%s", wf.Name, name, describeInputs(wf, nil))
}

// describeInputs lists a workflow's inputs with their types and defaults,
// and what the launch plan lp (if not nil) fixes or defaults, indented, one
// a line.
func describeInputs(wf *orchestrator.Compiled, lp *orchestrator.LaunchPlan) string {
	var fixedIn, defaults map[string]orchestrator.Literal
	if lp != nil {
		fixedIn, defaults = lp.Fixed, lp.Defaults
	}
	t := &table{}
	for _, p := range wf.Inputs {
		fixed, isFixed := fixedIn[p.Name]
		def, hasDefault := defaults[p.Name]
		note := "required"
		switch {
		case isFixed:
			note = "fixed " + innerText(fixed)
		case hasDefault:
			note = "default " + innerText(def)
		case p.Default != nil:
			note = "default " + innerText(*p.Default)
		case p.Type.Optional:
			note = "optional"
		}
		t.add("  "+p.Name, p.Type.String(), note)
	}
	return strings.Join(t.lines(), "\n")
}

// readInputsFile decodes a JSON (.json) or YAML (.yaml, .yml) object of
// input values.
func readInputsFile(file, dir string) (map[string]any, error) {
	path := file
	if !filepath.IsAbs(path) && dir != "" {
		path = filepath.Join(dir, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--inputs-file: %w", err)
	}
	var vals map[string]any
	switch strings.ToLower(filepath.Ext(file)) {
	case ".json":
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&vals); err != nil {
			return nil, fmt.Errorf("--inputs-file %s: %w", file, err)
		}
	case ".yaml", ".yml":
		if err := yaml.Unmarshal(b, &vals); err != nil {
			return nil, fmt.Errorf("--inputs-file %s: %w", file, err)
		}
	default:
		return nil, errors.New("--inputs-file " + file + ": want a .json, .yaml or .yml file")
	}
	if vals == nil {
		vals = map[string]any{}
	}
	return vals, nil
}
