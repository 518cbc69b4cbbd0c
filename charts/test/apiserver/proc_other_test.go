//go:build !linux

package apiserver

import "syscall"

// childProcAttr: elsewhere than on Linux there is no parent-death signal; a test
// killed by its -timeout may leave its etcd and kube-apiserver running.
func childProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }
