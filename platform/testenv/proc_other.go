//go:build !unix

package testenv

import (
	"errors"
	"os"
	"os/exec"
	"os/user"
)

func runAs(*exec.Cmd, *user.User) error {
	return errors.New("running a server as another OS user is supported on Unix only")
}

func interrupt(p *os.Process) error { return p.Kill() }

func quit(p *os.Process) error { return p.Kill() }

// watch has no implementation here: the processes testenv starts are stopped
// by Main only.
func watch(int, string, string) func() { return func() {} }

func watchFor(int, int, string, string) func() { return func() {} }
