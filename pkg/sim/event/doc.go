// Package event defines the simulation event and the queues that order
// events: a queue that breaks ties exactly as CPython's heapq does (upstream
// nodes keep their events in heapq, so bit-exact outputs need the same order)
// and a FIFO-stable queue for the kernel's own ordering.
package event
