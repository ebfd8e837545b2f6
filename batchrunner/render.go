package batchrunner

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// placeholder matches {{inputs.x}} and {{outputs.y}} (spaces allowed inside
// the braces). Other {{...}} text (a Go template, say) is left alone.
var placeholder = regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_-]*)\s*\}\}`)

// renderArgv substitutes the placeholders of a command template: inputs
// with their rendered values, outputs with the local paths the task must
// write. Each element stays one argument whatever its value holds (no shell
// ever sees it).
func renderArgv(tmpl []string, inputs, outputs map[string]string) ([]string, error) {
	if len(tmpl) == 0 {
		return nil, fmt.Errorf("task has no command")
	}
	argv := make([]string, len(tmpl))
	var errs []string
	for i, arg := range tmpl {
		argv[i] = placeholder.ReplaceAllStringFunc(arg, func(m string) string {
			sub := placeholder.FindStringSubmatch(m)
			ns, name := sub[1], sub[2]
			var vals map[string]string
			switch ns {
			case "inputs":
				vals = inputs
			case "outputs":
				vals = outputs
			default:
				errs = append(errs, fmt.Sprintf("%s: unknown reference (want {{inputs.NAME}} or {{outputs.NAME}})", m))
				return m
			}
			v, ok := vals[name]
			if !ok {
				errs = append(errs, fmt.Sprintf("%s: the task declares no %s %q (it has: %s)", m, strings.TrimSuffix(ns, "s"), name, names(vals)))
				return m
			}
			return v
		})
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("render command: %s", strings.Join(errs, "; "))
	}
	if argv[0] == "" {
		return nil, fmt.Errorf("render command: the program name is empty")
	}
	return argv, nil
}

func names(m map[string]string) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}
