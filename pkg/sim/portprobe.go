package sim

import (
	"errors"
	"syscall"
)

// listeningOnce tells whether something listens on port on localhost
// (127.0.0.1 or ::1). It makes the system calls net.Listen makes, itself:
// net.Listen would also start the runtime's network poller, which a run of
// built-in models never needs, and that costs every such run's start.
func listeningOnce(port int) bool {
	for _, sa := range []syscall.Sockaddr{
		&syscall.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}},
		&syscall.SockaddrInet6{Port: port, Addr: [16]byte{15: 1}},
	} {
		if errors.Is(listenAndClose(sa), syscall.EADDRINUSE) {
			return true
		}
	}
	return false
}

// listenAndClose listens on sa and closes the socket at once: only a
// probe. A host without IPv6 fails on ::1 with another error than
// EADDRINUSE, as net.Listen does.
func listenAndClose(sa syscall.Sockaddr) error {
	family := syscall.AF_INET
	if _, ok := sa.(*syscall.SockaddrInet6); ok {
		family = syscall.AF_INET6
	}
	// Not inherited by a process a node starts meanwhile.
	syscall.ForkLock.RLock()
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM, syscall.IPPROTO_TCP)
	if err == nil {
		syscall.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	// As net.Listen does: a port whose last connection waits in TIME_WAIT
	// is free, one with a listener is not.
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		return err
	}
	if err := syscall.Bind(fd, sa); err != nil {
		return err
	}
	return syscall.Listen(fd, 1)
}
