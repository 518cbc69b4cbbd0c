package apiserver

import "syscall"

// childProcAttr: a server the test started dies with the test binary (a test
// killed by its -timeout runs no cleanup).
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
