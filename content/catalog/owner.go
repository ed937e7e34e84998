package catalog

import (
	"os"
	"strings"
	"sync"
	"time"
)

// Owner names the process that made a claim: the boot of the machine it
// ran on (a random id the kernel makes at every boot, so no two machines,
// and no two boots of one, share it) with its process-id namespace (two
// containers on one machine share the boot but not their process ids),
// and its process id. A build that
// finds a claim made on its own boot by a process that no longer exists
// knows that the build died (a kill, a crash, a power cut of the laptop):
// it takes the catalog over at once instead of waiting for the claim to
// expire. A claim from another machine, or from a process that still
// exists (a process id taken again after the build died included), is
// waited for as before.
type Owner struct {
	Boot string `json:"boot"`
	PID  int    `json:"pid"`
}

// localOwner is this process, or nil where the system gives no boot id.
var localOwner = sync.OnceValue(func() *Owner {
	boot := bootID()
	if boot == "" {
		return nil
	}
	return &Owner{Boot: boot, PID: os.Getpid()}
})

// bootID reads the kernel's id of this boot and names this process's pid
// namespace (Linux): "" where either cannot be read.
func bootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	ns, err := os.Readlink("/proc/self/ns/pid") // "pid:[4026531836]"
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b)) + " " + ns
}

// gone reports whether o is a process of this boot that no longer exists.
func (o *Owner) gone() bool {
	here := localOwner()
	return o != nil && here != nil && o.Boot == here.Boot && o.PID > 0 && o.PID != here.PID && processGone(o.PID)
}

// Held reports whether the claim still holds the catalog at now: it has
// not expired, and the process that made it has not died.
func (c *Claim) Held(now time.Time) bool {
	return c != nil && now.Before(c.Expires) && !c.Owner.gone()
}
