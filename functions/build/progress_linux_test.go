package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// openPTY opens a pseudo-terminal and returns its controller and terminal
// ends.
func openPTY(t *testing.T) (ptm, pts *os.File) {
	t.Helper()
	ptm, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	t.Cleanup(func() { ptm.Close() })
	var unlock int32
	if err := ioctl(ptm, syscall.TIOCSPTLCK, unsafe.Pointer(&unlock)); err != nil {
		t.Skipf("unlock pseudo-terminal: %v", err)
	}
	var n uint32
	if err := ioctl(ptm, syscall.TIOCGPTN, unsafe.Pointer(&n)); err != nil {
		t.Skipf("pseudo-terminal number: %v", err)
	}
	pts, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open pseudo-terminal: %v", err)
	}
	return ptm, pts
}

func ioctl(f *os.File, req uintptr, arg unsafe.Pointer) error {
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), req, uintptr(arg)); errno != 0 {
		return errno
	}
	return nil
}

// The counterpart of TestBuildNoProgressWhenStderrIsNotATerminal: on a
// terminal the command shows its progress, and ends the line it rewrites.
func TestBuildShowsProgressOnATerminal(t *testing.T) {
	t.Parallel()
	ptm, pts := openPTY(t)
	var tty bytes.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(&tty, ptm) // ends with EIO once no process holds the terminal
	}()

	var stdout bytes.Buffer
	cmd := exec.Command(binary(t), "-articles", exampleArticles, "-site", exampleSite, "-out", filepath.Join(t.TempDir(), "out"), "-now", now)
	cmd.Env = cleanEnv()
	cmd.Stdout, cmd.Stderr = &stdout, pts
	err := cmd.Run()
	pts.Close()
	<-done
	if err != nil {
		t.Fatalf("build: %v\n%s", err, tty.String())
	}
	got := tty.String()
	if !strings.Contains(got, "read 56/56 articles") {
		t.Errorf("terminal: got %q, want progress up to read 56/56 articles", got)
	}
	if !strings.HasSuffix(got, "\n") {
		t.Errorf("terminal: got %q, want the progress line ended", got)
	}
	if !strings.Contains(stdout.String(), "articles: 56 read") {
		t.Errorf("stdout: got %q, want the summary", stdout.String())
	}
}
