package event

import (
	"bufio"
	"fmt"
	"os"
	"testing"
)

// TestHeapQMatchesCPython replays a push/pop script recorded from CPython's
// heapq (testdata/heapq_golden.py) with many equal times, and checks that
// every pop returns the same item CPython popped.
func TestHeapQMatchesCPython(t *testing.T) {
	t.Parallel()
	f, err := os.Open("testdata/heapq_golden.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var q HeapQ
	sc := bufio.NewScanner(f)
	line, pops := 0, 0
	for sc.Scan() {
		line++
		var tm, label int64
		if n, _ := fmt.Sscanf(sc.Text(), "push %d %d", &tm, &label); n == 2 {
			q.Push(Event{TimeUS: tm, Seq: label})
			continue
		}
		if _, err := fmt.Sscanf(sc.Text(), "pop %d", &label); err != nil {
			t.Fatalf("line %d: %v", line, err)
		}
		got := q.Pop()
		pops++
		if got.Seq != label {
			t.Fatalf("line %d: Pop() = item %d (t=%d), CPython popped %d", line, got.Seq, got.TimeUS, label)
		}
	}
	if q.Len() != 0 || pops < 1000 {
		t.Fatalf("replayed %d pops, %d left", pops, q.Len())
	}
}

func TestQueueIsFIFOOnTies(t *testing.T) {
	t.Parallel()
	var q Queue
	times := []int64{5, 3, 5, 3, 1, 5, 3}
	for i, tm := range times {
		q.Push(Event{TimeUS: tm, Seq: int64(i)})
	}
	var got []int64
	for q.Len() > 0 {
		got = append(got, q.Pop().Seq)
	}
	want := []int64{4, 1, 3, 6, 0, 2, 5}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("pop order = %v, want %v", got, want)
	}
}

func BenchmarkHeapQ(b *testing.B) {
	var q HeapQ
	for i := range 1024 {
		q.Push(Event{TimeUS: int64(i * 7919 % 1024)})
	}
	b.ResetTimer()
	for i := range b.N {
		e := q.Pop()
		e.TimeUS += int64(i % 1024)
		q.Push(e)
	}
}
