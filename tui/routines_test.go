package tui

import (
	"strings"
	"testing"

	"github.com/proxbox-tui/proxbox-tui/store"
)

func TestRoutineDetailShowsEveryField(t *testing.T) {
	ip := func(n int) *int { return &n }
	bp := func(b bool) *bool { return &b }
	r := &store.BackupRoutine{JobID: "backup-x", Enabled: true, Schedule: "sat 02:00", Storage: "nfs-backup",
		Node: "pve1", All: true, Exclude: []int{9000, 9001}, Mode: "stop", Compress: "zstd", Zstd: ip(0), Bwlimit: ip(102400),
		IOWorkers: ip(8), Fleecing: "enabled=1,storage=local-lvm", FleecingStorage: "local-lvm", RepeatMissed: bp(true),
		PBSChangeDetectionMode: "data", NotesTemplate: "{{guestname}} on {{node}}", Comment: "weekly\nsecond line",
		MailTo: "ops@example.com", MailNotification: "failure", KeepLast: ip(2), RetentionSource: "storage",
		Status:    store.StatusActive,
		RawConfig: []byte(`{"id":"backup-x","ionice":7,"exclude-path":["/tmp/?*"],"performance":{"max-workers":"8","pbs-entries-max":"100"},"bwlimit":102400}`)}
	r.Meta.Endpoint = "lab"
	in := inspectRoutine(r, nil, nil, []store.BackupRoutine{*r}, nil, nil, estateNow, estateLocation())
	text := docPlain(inspectorDoc(r, in, estateNow, estateLocation()))
	requireLines(t, text,
		"exclude          9000,9001",
		"comment          weekly",
		"status           active",
		"mode             stop",
		"compress         zstd, zstd threads: half the cores",
		"bwlimit          102400 KiB/s (100 MiB/s)",
		"io workers       8 (performance max-workers)",
		"fleecing         on, storage local-lvm",
		"repeat missed    yes",
		"pbs detection    data (pbs-change-detection-mode)",
		"notes template   {{guestname}} on {{node}}",
		"notification     mail to ops@example.com on failure (auto)",
		"mail             ops@example.com, failure (mailto, mailnotification; deprecated)",
		`other options    exclude-path=["/tmp/?*"], ionice=7, performance={"pbs-entries-max":"100"}`,
		"Next runs", "Sat 2026-11-28 02:00")

	// Unset options say what applies instead.
	bare := &store.BackupRoutine{JobID: "b", Enabled: true, Schedule: "21:00", Storage: "local", Status: store.StatusActive}
	in = inspectRoutine(bare, nil, nil, nil, nil, nil, estateNow, estateLocation())
	requireLines(t, docPlain(inspectorDoc(bare, in, estateNow, estateLocation())),
		"bwlimit          none", "io workers       not set (vzdump: 16)", "fleecing         off", "repeat missed    no",
		"notes template   not set", "notification     notification system (auto)")
}

func TestNotifyAndFleecingText(t *testing.T) {
	for _, c := range []struct {
		mode, mailto, when, want string
	}{
		{"", "", "", "notification system (auto)"},
		{"auto", "a@b", "", "mail to a@b (auto)"},
		{"notification-system", "a@b", "failure", "notification system"}, // mailto is ignored then
		{"legacy-sendmail", "a@b", "failure", "mail to a@b on failure"},
		{"legacy-sendmail", "", "", "legacy-sendmail, no mailto: none"},
	} {
		r := &store.BackupRoutine{NotificationMode: c.mode, MailTo: c.mailto, MailNotification: c.when}
		if got := notifyText(r); got != c.want {
			t.Errorf("%+v: %q, want %q", c, got, c.want)
		}
	}
	for _, c := range []struct{ fleecing, storage, want string }{
		{"", "", "off"}, {"1", "", "on"}, {"enabled=0,storage=x", "x", "off"}, {"enabled=1,storage=x", "x", "on, storage x"},
	} {
		if got := fleecingText(&store.BackupRoutine{Fleecing: c.fleecing, FleecingStorage: c.storage}); got != c.want {
			t.Errorf("fleecing %q: %q, want %q", c.fleecing, got, c.want)
		}
	}
}

// Wide terminals show the job's options as columns; 120 columns do not.
func TestRoutinesWideColumns(t *testing.T) {
	extra := []string{"Compress", "Notify", "Bwlimit", "Fleecing", "Comment"}
	for _, c := range []struct {
		w    int
		want bool
	}{{120, false}, {300, true}} {
		m, _ := newTestModel(t, testEstate(t), c.w, 30)
		press(m, "6")
		header := strings.SplitN(m.View(), "\n", 3)[1]
		for _, title := range extra {
			if strings.Contains(header, title) != c.want {
				t.Errorf("%d columns: header %q, %s shown: %v", c.w, header, title, !c.want)
			}
		}
		if c.want && (!strings.Contains(m.View(), "zstd, ½ cores") || !strings.Contains(m.View(), "100 MiB/s")) {
			t.Errorf("%d columns: the disabled job's bwlimit is not shown", c.w)
		}
	}
}
