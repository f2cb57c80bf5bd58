// The Go peer of bench/echo_compare: net's goroutine-per-connection echo,
// run with GOMAXPROCS=1 so it gets one CPU like every other server.
//
//	go run go_echo_server.go [HOST [PORT]]    (127.0.0.1, 0 = any free port)
//
// Prints "listening on HOST:PORT" first and serves until killed.
package main

import (
	"fmt"
	"net"
	"os"
)

func main() {
	host, port := "127.0.0.1", "0"
	if len(os.Args) > 1 {
		host = os.Args[1]
	}
	if len(os.Args) > 2 {
		port = os.Args[2]
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		fmt.Fprintln(os.Stderr, "go_echo_server:", err)
		os.Exit(1)
	}
	fmt.Printf("listening on %s:%d\n", host, ln.Addr().(*net.TCPAddr).Port)
	for {
		c, err := ln.Accept()
		if err != nil {
			continue
		}
		go func(c net.Conn) {
			defer c.Close()
			buf := make([]byte, 64*1024)
			for {
				n, err := c.Read(buf)
				if err != nil {
					return
				}
				if _, err := c.Write(buf[:n]); err != nil {
					return
				}
			}
		}(c)
	}
}
