// gocheck: Go's runtime on the kernel under it. A static Go program
// (CGO_ENABLED=0) leans on epoll (its network poller, which also runs its
// timers), pipes, clone for threads and for os/exec, tgkill with SIGURG to
// preempt goroutines, sigaltstack, futexes and mmap hints. Each check
// prints "[TEST] name... PASS|FAIL"; the exit status is 0 only if all pass.
// Validated on Linux first (tools/linux-ref).
package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

var failures int

func check(name string, ok bool, detail string) {
	verdict := "PASS"
	if !ok {
		verdict = "FAIL"
		failures++
		fmt.Printf("  %s: %s\n", name, detail)
	}
	fmt.Printf("[TEST] %s... %s\n", name, verdict)
}

// Many goroutines on several threads, joined by a WaitGroup and a channel.
func goroutines() {
	const workers = 64
	var wg sync.WaitGroup
	results := make(chan int, workers)
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func(n int) {
			defer wg.Done()
			sum := 0
			for j := 0; j <= n*1000; j++ {
				sum += j
			}
			results <- sum
		}(i)
	}
	wg.Wait()
	close(results)
	total := 0
	for r := range results {
		total += r
	}
	want := 0
	for i := 0; i < workers; i++ {
		m := i * 1000
		want += m * (m + 1) / 2
	}
	check("goroutines", total == want, fmt.Sprintf("total %d, want %d", total, want))
}

// A goroutine spinning without function calls is preempted by the runtime's
// SIGURG (tgkill), or this one would never run again with GOMAXPROCS=1.
func preemption() {
	previous := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(previous)
	var stop int32
	go func() {
		for atomic.LoadInt32(&stop) == 0 {
		}
	}()
	time.Sleep(50 * time.Millisecond) // needs the spinner preempted
	atomic.StoreInt32(&stop, 1)
	check("preemption", true, "")
}

// Timers, a ticker and select with a timeout: the poller's epoll_pwait
// timeouts and its wake-up pipe.
func timers() {
	start := time.Now()
	timer := time.NewTimer(30 * time.Millisecond)
	ticker := time.NewTicker(10 * time.Millisecond)
	ticks := 0
	fired := false
	for !fired {
		select {
		case <-ticker.C:
			ticks++
		case <-timer.C:
			fired = true
		}
	}
	ticker.Stop()
	elapsed := time.Since(start)
	select {
	case <-time.After(20 * time.Millisecond):
	case <-make(chan int):
		check("timers", false, "a channel nobody sends on was ready")
		return
	}
	check("timers", fired && ticks >= 1 && elapsed >= 30*time.Millisecond,
		fmt.Sprintf("fired %v, %d ticks, %v elapsed", fired, ticks, elapsed))
}

// os/exec: a child with pipes for stdin and stdout, its exit status, and a
// command that does not exist.
func execWithPipes() {
	command := exec.Command(os.Args[0], "child")
	command.Stdin = strings.NewReader("through a pipe\n")
	var out bytes.Buffer
	command.Stdout = &out
	err := command.Run()
	ok := err == nil && out.String() == "child read: through a pipe\n"
	failing := exec.Command(os.Args[0], "fail")
	err2 := failing.Run()
	exitErr, isExit := err2.(*exec.ExitError)
	ok = ok && isExit && exitErr.ExitCode() == 3
	_, err3 := exec.Command("/nonexistent/program").Output()
	ok = ok && err3 != nil
	check("exec", ok, fmt.Sprintf("run: %v, output %q, fail: %v, missing: %v", err, out.String(), err2, err3))
}

// A pipe read by a goroutine through the poller (non-blocking descriptors).
func pipes() {
	r, w, err := os.Pipe()
	if err != nil {
		check("pipes", false, err.Error())
		return
	}
	done := make(chan string)
	go func() {
		buf := make([]byte, 64)
		n, _ := r.Read(buf)
		done <- string(buf[:n])
	}()
	time.Sleep(10 * time.Millisecond) // the reader parks in the poller first
	w.Write([]byte("hello"))
	var got string
	select {
	case got = <-done:
	case <-time.After(5 * time.Second):
	}
	r.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	_, err = r.Read(make([]byte, 1))
	timedOut := os.IsTimeout(err)
	r.Close()
	w.Close()
	check("pipes", got == "hello" && timedOut, fmt.Sprintf("got %q, deadline error %v", got, err))
}

// signal.Notify: a signal sent to ourselves arrives on a channel.
func signals() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGUSR1)
	syscall.Kill(os.Getpid(), syscall.SIGUSR1)
	var got os.Signal
	select {
	case got = <-ch:
	case <-time.After(5 * time.Second):
	}
	signal.Stop(ch)
	check("signals", got == syscall.SIGUSR1, fmt.Sprintf("got %v", got))
}

// Linux's reference boot starts with lo down; Akuma's lo is up at boot.
func loopbackUp() {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM, 0)
	if err != nil {
		return
	}
	defer syscall.Close(fd)
	var request [40]byte // struct ifreq: the name, then the flags
	copy(request[:], "lo")
	syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.SIOCGIFFLAGS, uintptr(unsafe.Pointer(&request[0])))
	flags := uint16(request[16]) | uint16(request[17])<<8
	if flags&syscall.IFF_UP == 0 {
		flags |= syscall.IFF_UP
		request[16], request[17] = byte(flags), byte(flags>>8)
		syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.SIOCSIFFLAGS, uintptr(unsafe.Pointer(&request[0])))
	}
}

// TCP on 127.0.0.1 and ::1 through Go's netpoller (epoll): 20 goroutines
// dial one listener at once and each gets its message echoed; a read
// deadline expires; UDP round trip.
func network() {
	loopbackUp()
	for _, address := range []string{"127.0.0.1:0", "[::1]:0"} {
		listener, err := net.Listen("tcp", address)
		if err != nil {
			check("net tcp "+address, false, err.Error())
			continue
		}
		go func() {
			for {
				connection, err := listener.Accept()
				if err != nil {
					return
				}
				go func(c net.Conn) {
					io.Copy(c, c)
					c.Close()
				}(connection)
			}
		}()
		var wait sync.WaitGroup
		var good int32
		var firstError atomic.Value
		for i := 0; i < 20; i++ {
			wait.Add(1)
			go func(i int) {
				defer wait.Done()
				c, err := net.DialTimeout("tcp", listener.Addr().String(), 5*time.Second)
				if err != nil {
					firstError.CompareAndSwap(nil, err.Error())
					return
				}
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				message := fmt.Sprintf("message %d from a goroutine", i)
				fmt.Fprint(c, message)
				reply := make([]byte, len(message))
				if _, err := io.ReadFull(c, reply); err == nil && string(reply) == message {
					atomic.AddInt32(&good, 1)
				} else if err != nil {
					firstError.CompareAndSwap(nil, err.Error())
				}
			}(i)
		}
		wait.Wait()
		check("net tcp "+address, good == 20, fmt.Sprintf("%d of 20 echoed (%v)", good, firstError.Load()))
		listener.Close()
	}

	// A read deadline on an idle connection expires with a timeout error.
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err == nil {
		c, err := net.Dial("tcp", listener.Addr().String())
		if err == nil {
			c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
			_, err = c.Read(make([]byte, 1))
			timeout, _ := err.(net.Error)
			check("net deadline", timeout != nil && timeout.Timeout(), fmt.Sprintf("%v", err))
			c.Close()
		} else {
			check("net deadline", false, err.Error())
		}
		listener.Close()
	}

	server, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		check("net udp", false, err.Error())
		return
	}
	defer server.Close()
	go func() {
		buf := make([]byte, 64)
		n, from, err := server.ReadFrom(buf)
		if err == nil {
			server.WriteTo(buf[:n], from)
		}
	}()
	c, err := net.Dial("udp", server.LocalAddr().String())
	if err != nil {
		check("net udp", false, err.Error())
		return
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	c.Write([]byte("datagram"))
	reply := make([]byte, 64)
	n, err := c.Read(reply)
	check("net udp", err == nil && string(reply[:n]) == "datagram", fmt.Sprintf("%q %v", reply[:n], err))
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "child" {
		buf := make([]byte, 64)
		n, _ := os.Stdin.Read(buf)
		fmt.Printf("child read: %s", buf[:n])
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "fail" {
		os.Exit(3)
	}
	goroutines()
	preemption()
	timers()
	pipes()
	execWithPipes()
	signals()
	network()
	fmt.Printf("%d check(s) failed\n", failures)
	if failures > 0 {
		os.Exit(1)
	}
}
