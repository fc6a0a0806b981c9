package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestCompletionScripts(t *testing.T) {
	for shell, marker := range map[string]string{"bash": "complete -o default", "zsh": "#compdef proxbox-tui", "fish": "complete -c proxbox-tui"} {
		var out, errOut bytes.Buffer
		code := run([]string{"completion", shell}, strings.NewReader(""), &out, &errOut, testEnv(nil))
		if code != 0 || !strings.Contains(out.String(), marker) {
			t.Errorf("completion %s: exit %d, output lacks %q (%d bytes) %s", shell, code, marker, out.Len(), errOut.String())
		}
	}
}

// Every command documents itself with a description and examples.
func TestEveryCommandHasHelpWithExamples(t *testing.T) {
	a := &app{getenv: testEnv(nil)}
	root := a.rootCommand()
	for _, c := range root.Commands() {
		if c.Name() == "help" || c.Name() == "completion" {
			continue
		}
		if c.HasSubCommands() {
			for _, sub := range c.Commands() {
				if sub.Long == "" || sub.Example == "" {
					t.Errorf("%s %s: missing Long or Example help", c.Name(), sub.Name())
				}
			}
			continue
		}
		if c.Long == "" || c.Example == "" {
			t.Errorf("%s: missing Long or Example help", c.Name())
		}
	}
}
