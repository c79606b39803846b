//go:build !linux

package main

import (
	"errors"
	"syscall"
	"time"
)

// The memory and CPU figures come from /proc; elsewhere they are reported
// as zero.

var errNoProc = errors.New("no /proc on this system")

func childAttr() *syscall.SysProcAttr { return nil }

func memStatus(pid int) (rss, hwm int64, err error) { return 0, 0, errNoProc }

func procCPU(pid int) (time.Duration, error) { return 0, errNoProc }

func selfCPU() time.Duration { return 0 }

func machineCPU() time.Duration { return 0 }

func raiseOpenFiles(n int) error { return nil }
