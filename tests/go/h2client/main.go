// h2client sends POST requests with Go's net/http, the HTTP client the Kubernetes API
// server calls admission webhooks with, over HTTP/2 or HTTP/1.1, and prints one line per
// request: the status code and protocol, or the error. Built and run by the integration
// tests (tests/integration/serve.rs); scripts/test-deps.sh builds it.
package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

func main() {
	ca := flag.String("ca", "", "PEM file of the CA that signed the server's certificate")
	proto := flag.String("proto", "h2", "h2 or h1")
	size := flag.Int("size", 0, "body of this many bytes of 'a' (when -body is not given)")
	bodyFile := flag.String("body", "", "file holding the body")
	count := flag.Int("n", 1, "requests to send, one after the other")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: h2client -ca CA [-proto h2|h1] [-size N|-body FILE] [-n N] URL")
		os.Exit(2)
	}
	pem, err := os.ReadFile(*ca)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	tr := &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pool},
		ForceAttemptHTTP2: *proto == "h2",
	}
	if *proto == "h1" {
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	payload := bytes.Repeat([]byte("a"), *size)
	if *bodyFile != "" {
		if payload, err = os.ReadFile(*bodyFile); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
	for i := 0; i < *count; i++ {
		resp, err := client.Post(flag.Arg(0), "application/json", bytes.NewReader(payload))
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		fmt.Println(resp.StatusCode, resp.Proto)
	}
}
