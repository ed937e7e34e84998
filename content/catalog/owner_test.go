package catalog

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestClaimOfDeadProcess: a claim made on this boot by a process that is
// gone no longer holds the catalog; one by a live process, by another
// boot, or with no owner holds it until it expires.
func TestClaimOfDeadProcess(t *testing.T) {
	here := localOwner()
	if here == nil {
		if runtime.GOOS == "linux" {
			t.Fatal("no boot id on Linux")
		}
		t.Skip("no boot id on this system: claims wait for their expiry")
	}
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := cmd.Process.Pid // reaped: no process has it (until the system gives it again)
	now := time.Now()
	later := now.Add(time.Hour)
	for _, tt := range []struct {
		name  string
		owner *Owner
		held  bool
	}{
		{"a dead process of this boot", &Owner{Boot: here.Boot, PID: dead}, false},
		{"this process", &Owner{Boot: here.Boot, PID: os.Getpid()}, true},
		{"a live process of this boot", &Owner{Boot: here.Boot, PID: os.Getppid()}, true},
		{"another boot", &Owner{Boot: "00000000-0000-0000-0000-000000000000 " + strings.Fields(here.Boot)[1], PID: dead}, true},
		{"another container of this boot", &Owner{Boot: strings.Fields(here.Boot)[0] + " pid:[1]", PID: dead}, true},
		{"no owner", nil, true},
	} {
		c := &Claim{Build: "b", Expires: later, Owner: tt.owner}
		if got := c.Held(now); got != tt.held {
			t.Errorf("%s: Held = %v, want %v", tt.name, got, tt.held)
		}
		if c.Expires = now.Add(-time.Second); c.Held(now) {
			t.Errorf("%s: an expired claim holds", tt.name)
		}
	}
	var none *Claim
	if none.Held(now) {
		t.Error("no claim holds")
	}
}
