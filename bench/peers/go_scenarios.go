// The event-loop scenarios of bench/loop_bench.cpp on Go's scheduler, pinned
// to one core (GOMAXPROCS=1), for the comparison in docs/performance.md.
//
// Prints one line per scenario: `name go median_ns min_ns max_ns`, the
// median of 5 repetitions of ns per operation:
//
//	yield_pingpong  two goroutines alternating through runtime.Gosched, per yield
//	spawn_join      start an empty goroutine and wait for it
//	queue_pingpong  two goroutines passing an int through two channels, per hop
//	timers/N        N goroutines each sleeping a random 0-1 s, reported as
//	                process CPU time per timer (not the sleeping)
package main

import (
	"fmt"
	"math/rand"
	"runtime"
	"sort"
	"sync"
	"syscall"
	"time"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

const repetitions = 5

func yieldPingpong(n int) float64 {
	var stop sync.WaitGroup
	done := false
	stop.Add(1)
	go func() {
		for !done {
			runtime.Gosched()
		}
		stop.Done()
	}()
	start := time.Now()
	for i := 0; i < n; i++ {
		runtime.Gosched()
	}
	elapsed := time.Since(start)
	done = true
	stop.Wait()
	return float64(elapsed.Nanoseconds()) / float64(2*n)
}

func spawnJoin(n int) float64 {
	start := time.Now()
	for i := 0; i < n; i++ {
		finished := make(chan struct{})
		go func() { close(finished) }()
		<-finished
	}
	return float64(time.Since(start).Nanoseconds()) / float64(n)
}

func queuePingpong(n int) float64 {
	ping, pong := make(chan int, 1), make(chan int, 1)
	go func() {
		for i := 0; i < n; i++ {
			pong <- <-ping
		}
	}()
	start := time.Now()
	for i := 0; i < n; i++ {
		ping <- i
		<-pong
	}
	return float64(time.Since(start).Nanoseconds()) / float64(2*n)
}

func timers(n int) float64 {
	rng := rand.New(rand.NewSource(42))
	var wg sync.WaitGroup
	start := cpuTime()
	for i := 0; i < n; i++ {
		d := time.Duration(rng.Int63n(int64(time.Second)))
		wg.Add(1)
		go func() {
			time.Sleep(d)
			wg.Done()
		}()
	}
	wg.Wait()
	return float64((cpuTime() - start).Nanoseconds()) / float64(n)
}

func report(name string, scenario func() float64) {
	samples := make([]float64, repetitions)
	for i := range samples {
		samples[i] = scenario()
	}
	sort.Float64s(samples)
	fmt.Printf("%s go %.1f %.1f %.1f\n", name, samples[repetitions/2], samples[0], samples[repetitions-1])
}

func main() {
	runtime.GOMAXPROCS(1)
	report("yield_pingpong", func() float64 { return yieldPingpong(1_000_000) })
	report("spawn_join", func() float64 { return spawnJoin(500_000) })
	report("queue_pingpong", func() float64 { return queuePingpong(500_000) })
	report("timers/10000", func() float64 { return timers(10_000) })
}
