// BM_cross_loop_pingpong's scenario on Go's scheduler with two threads
// (GOMAXPROCS=2), for the comparison in docs/performance.md: two goroutines
// passing an int through two channels of capacity 1, one round trip (there
// and back) per operation.
//
// Go may run both goroutines on one P: a send that readies a parked
// receiver puts it in the sender's runnext slot, so the pair often stays on
// one thread and no wake-up crosses threads. The figure is what a Go user
// gets, not a pinned thread-to-thread hand-off.
//
// Prints `cross_loop_pingpong go median_ns min_ns max_ns`, 5 repetitions.
package main

import (
	"fmt"
	"runtime"
	"sort"
	"time"
)

const repetitions = 5

func pingpong(n int) float64 {
	ping, pong := make(chan int, 1), make(chan int, 1)
	go func() {
		for v := range ping {
			pong <- v + 1
		}
	}()
	start := time.Now()
	v := 0
	for i := 0; i < n; i++ {
		ping <- v
		v = <-pong
	}
	elapsed := time.Since(start)
	close(ping)
	return float64(elapsed.Nanoseconds()) / float64(n)
}

func main() {
	runtime.GOMAXPROCS(2)
	samples := make([]float64, repetitions)
	for i := range samples {
		samples[i] = pingpong(200_000)
	}
	sort.Float64s(samples)
	fmt.Printf("cross_loop_pingpong go %.1f %.1f %.1f\n", samples[repetitions/2], samples[0], samples[repetitions-1])
}
