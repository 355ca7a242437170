package event

import (
	"strconv"
	"testing"
)

// The queue benchmarks hold a steady population and replace the earliest
// event with a later one, the way the kernel's in-flight queue and a node's
// timer queue churn. Times repeat (i*7919 mod size) so ties are common, as
// they are when every sensor samples on the same second.

func benchQueue(b *testing.B, size int) {
	var q Queue
	for i := range size {
		q.Push(Event{TimeUS: int64(i * 7919 % size)})
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		e := q.Pop()
		e.TimeUS += int64(i % size)
		q.Push(e)
		i++
	}
}

func BenchmarkQueuePushPop(b *testing.B) {
	for _, size := range []int{16, 1024, 65536} {
		b.Run(sizeName(size), func(b *testing.B) { benchQueue(b, size) })
	}
}

func benchHeapQ(b *testing.B, size int) {
	var q HeapQ
	for i := range size {
		q.Push(Event{TimeUS: int64(i * 7919 % size)})
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		e := q.Pop()
		e.TimeUS += int64(i % size)
		q.Push(e)
		i++
	}
}

func BenchmarkHeapQPushPop(b *testing.B) {
	for _, size := range []int{16, 1024, 65536} {
		b.Run(sizeName(size), func(b *testing.B) { benchHeapQ(b, size) })
	}
}

func sizeName(n int) string { return "size=" + strconv.Itoa(n) }
