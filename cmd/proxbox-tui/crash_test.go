package main

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/proxbox-tui/proxbox-tui/proxmox/pvesim"
	"github.com/proxbox-tui/proxbox-tui/store"
)

// The crash suite of QUALITY.md: a `refresh` process killed with SIGKILL at
// random points, 50 times, on one cache file. Every reopen passes bbolt's
// consistency check and holds whole scopes: after an endpoint's first
// committed cycle everything a full cycle writes; before it, for each kind
// written as one scope (nodes, guests, storage, jobs) nothing or all of it,
// nodes and guests together, and never more than a full cycle writes (a
// cycle writes its scopes as they land). Before each run a backup is added
// to lab, so each cycle differs from the one before: the lab's backups are
// those of the previous commit or all of the new one.
func TestRefreshSurvivesSIGKILL(t *testing.T) {
	bin := buildBinary(t)
	e := startDemoEnv(t, pvesim.TUITokenSecret)
	for _, s := range []*pvesim.Server{e.demo.Lab, e.demo.Edge} {
		s.Sim.SetLatency(pvesim.Latency{Fixed: 4 * time.Millisecond})
	}
	env := []string{"HOME=" + e.dir, "LAB_TOKEN=" + pvesim.TUITokenSecret, "EDGE_TOKEN=" + pvesim.TUITokenSecret}
	kinds := []store.Kind{store.KindNode, store.KindGuest, store.KindStorage, store.KindBackup,
		store.KindSnapshot, store.KindTask, store.KindBackupRoutine, store.KindReplication}

	// A complete cycle on another file tells what a committed cycle holds.
	full := e.dir + "/full.db"
	start := time.Now()
	if code, out, errOut := execBinary(t, bin, "", env, "--config", e.config, "--cache", full, "refresh"); code != 0 {
		t.Fatalf("clean refresh: %d\n%s%s", code, out, errOut)
	}
	cycle := time.Since(start)
	want := map[string]map[store.Kind]int{}
	st, err := store.Open(full, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ep := range []string{"lab", "edge"} {
		want[ep] = map[store.Kind]int{}
		for _, k := range kinds {
			want[ep][k], _ = st.Count(k, ep)
		}
	}
	st.Close()

	rng := rand.New(rand.NewPCG(20261128, 50))
	crashed := e.dir + "/crashed.db"
	completeSeen, emptySeen, newSeen := 0, 0, 0
	labBackups := 0 // as last observed
	for i := 0; i < 50; i++ {
		ctime := time.Date(2026, 11, 28, 1, 0, i, 0, time.UTC)
		err := e.demo.Lab.Sim.Estate().AddBackup(pvesim.Backup{Storage: "nfs-backup", VMID: 100, Subtype: "qemu", Format: "vma.zst",
			VolID: "nfs-backup:backup/vzdump-qemu-100-" + ctime.Format("2006_01_02-15_04_05") + ".vma.zst", CTime: ctime.Unix(), Size: 1 << 30})
		if err != nil {
			t.Fatal(err)
		}
		want["lab"][store.KindBackup]++
		cmd := exec.Command(bin, "--config", e.config, "--cache", crashed, "refresh")
		cmd.Env = append(os.Environ(), env...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.Int64N(int64(cycle + cycle/2))))
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()

		st, err := store.Open(crashed, store.Options{})
		if err != nil {
			t.Fatalf("kill %d: reopen: %v", i, err)
		}
		if err := st.Check(); err != nil {
			st.Close()
			t.Fatalf("kill %d: consistency check: %v", i, err)
		}
		for _, ep := range []string{"lab", "edge"} {
			_, committed, _ := store.Get[store.Endpoint](st, ep, ep)
			for _, k := range kinds {
				n, _ := st.Count(k, ep)
				if ep == "lab" && k == store.KindBackup && committed {
					switch n {
					case want[ep][k]:
						newSeen++
					case labBackups:
					default:
						t.Errorf("kill %d: lab has %d backups: neither the last commit (%d) nor the new cycle (%d)", i, n, labBackups, want[ep][k])
					}
					labBackups = n
					continue
				}
				oneScope := k == store.KindNode || k == store.KindGuest || k == store.KindStorage ||
					k == store.KindBackupRoutine || k == store.KindReplication
				switch {
				case committed && n != want[ep][k]:
					t.Errorf("kill %d: %s has %d %s, a committed cycle has %d", i, ep, n, k, want[ep][k])
				case !committed && (n > want[ep][k] || oneScope && n != 0 && n != want[ep][k]):
					t.Errorf("kill %d: %s has %d %s before its first committed cycle, which has %d", i, ep, n, k, want[ep][k])
				}
			}
			nodes, _ := st.Count(store.KindNode, ep)
			guests, _ := st.Count(store.KindGuest, ep)
			if (nodes == 0) != (guests == 0) {
				t.Errorf("kill %d: %s has %d nodes and %d guests: they are written together", i, ep, nodes, guests)
			}
			if committed {
				completeSeen++
			} else {
				emptySeen++
			}
		}
		st.Close()
		if t.Failed() {
			t.FailNow()
		}
	}
	t.Logf("cycle %v; after the kills: %d endpoint caches complete (%d lab commits of the new cycle), %d not yet written", cycle, completeSeen, newSeen, emptySeen)
	if completeSeen == 0 || newSeen == 0 || newSeen == 50 {
		t.Fatal("the kills did not fall both before and after commits: the suite proved nothing")
	}
}
