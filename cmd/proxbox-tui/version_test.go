package main

import (
	"bytes"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionLine(t *testing.T) {
	info := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.3.0"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123"},
		{Key: "vcs.time", Value: "2026-11-28T07:00:00Z"},
		{Key: "vcs.modified", Value: "true"},
	}}
	want := "proxbox-tui v0.3.0 (revision 0123456789ab, modified, 2026-11-28T07:00:00Z, go1.26.8)"
	if got := versionLine(info); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	bare := &debug.BuildInfo{GoVersion: "go1.26.8"}
	if got := versionLine(bare); got != "proxbox-tui (devel) (revision unknown, go1.26.8)" {
		t.Errorf("without VCS data: %q", got)
	}
}

func TestVersionCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"version"}, strings.NewReader(""), &out, &errOut, testEnv(nil))
	if code != 0 || !strings.HasPrefix(out.String(), "proxbox-tui ") || errOut.Len() != 0 {
		t.Fatalf("version: code %d, out %q, err %q", code, out.String(), errOut.String())
	}
	code = run([]string{"version", "extra"}, strings.NewReader(""), &out, &errOut, testEnv(nil))
	if code == 0 {
		t.Fatal("version with an argument succeeded")
	}
}
