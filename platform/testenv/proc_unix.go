//go:build unix

package testenv

import (
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"syscall"
)

// runAs makes cmd run as the given OS user; used when the tests run as root.
func runAs(cmd *exec.Cmd, u *user.User) error {
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return err
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return err
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	return nil
}

// interrupt asks a server to shut down: SIGINT is PostgreSQL's fast shutdown
// and the Temporal CLI's graceful stop.
func interrupt(p *os.Process) error { return p.Signal(os.Interrupt) }

// quit is PostgreSQL's immediate shutdown (SIGQUIT, what `pg_ctl stop -m
// immediate` sends): every server process exits at once, without a
// checkpoint, and the next start runs crash recovery.
func quit(p *os.Process) error { return p.Signal(syscall.SIGQUIT) }

// watchdogScript waits for the test process ($1) to end, then signals the
// child ($2) with $3, kills it if it lingers, and removes the directory $4.
const watchdogScript = `p=$1 c=$2 s=$3 d=$4
while kill -0 "$p" 2>/dev/null; do sleep 1; done
kill -s "$s" "$c" 2>/dev/null
i=0
while [ "$i" -lt 15 ] && kill -0 "$c" 2>/dev/null; do sleep 1; i=$((i+1)); done
kill -s KILL "$c" 2>/dev/null
if [ -n "$d" ]; then rm -rf "$d"; fi
exit 0`

// watch starts a small shell loop, in its own process group and with no
// standard streams, that stops the process pid (with signal sig, then KILL)
// and removes dir (when not empty) once the test process is gone without
// having stopped it: a forgotten testenv.Main, a crash, or a `go test
// -timeout` panic. The returned func ends the watch; call it before stopping
// the process normally. The watch is best effort: without /bin/sh there is
// none.
func watch(pid int, sig, dir string) (unwatch func()) {
	return watchFor(os.Getpid(), pid, sig, dir)
}

// watchFor is watch with the watched parent process given (for tests).
func watchFor(parent, pid int, sig, dir string) (unwatch func()) {
	cmd := exec.Command("/bin/sh", "-c", watchdogScript, "closeloop-testenv-watchdog",
		strconv.Itoa(parent), strconv.Itoa(pid), sig, dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return func() {}
	}
	return func() {
		// The loop leads its own process group: end it with its sleep.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	}
}
