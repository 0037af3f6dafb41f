// Command serve serves retar's page (site/dist, built by `make site`) on
// loopback for trying it and for the end-to-end tests:
//
//	go run ./site/serve -dir site/dist -addr 127.0.0.1:8080
//
// It prints the page's URL as its first line of output (with -addr
// 127.0.0.1:0 the port is a free one). Any static host serves the page as
// well; this one only makes sure .wasm goes out as application/wasm (so
// browsers compile it while it downloads) and sends the page's
// Content-Security-Policy as a header too.
package main

import (
	"flag"
	"fmt"
	"log"
	"mime"
	"net"
	"net/http"
	"os"
	"strings"
)

// csp lets the page load only its own files; workers and wasm included.
const csp = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; " +
	"img-src 'self' blob: data:; style-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'"

func main() {
	dir := flag.String("dir", "site/dist", "folder to serve")
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on; loopback only unless you mean it")
	quiet := flag.Bool("q", false, "do not log requests")
	flag.Parse()
	if st, err := os.Stat(*dir + "/index.html"); err != nil || st.IsDir() {
		log.Fatalf("serve: %s/index.html not found: run make site first", *dir)
	}
	_ = mime.AddExtensionType(".wasm", "application/wasm")
	_ = mime.AddExtensionType(".js", "text/javascript; charset=utf-8")
	_ = mime.AddExtensionType(".webmanifest", "application/manifest+json")
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("serve: %v", err)
	}
	fmt.Printf("serving %s on http://%s/\n", *dir, ln.Addr())
	files := http.FileServer(http.Dir(*dir))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !*quiet {
			log.Printf("%s %s", r.Method, r.URL.Path)
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "read-only", http.StatusMethodNotAllowed)
			return
		}
		hd := w.Header()
		hd.Set("Cache-Control", "no-cache")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cross-Origin-Embedder-Policy", "require-corp")
		if r.URL.Path == "/" || strings.HasSuffix(r.URL.Path, ".html") || strings.HasSuffix(r.URL.Path, ".js") {
			hd.Set("Content-Security-Policy", csp)
		}
		files.ServeHTTP(w, r)
	})
	log.Fatal(http.Serve(ln, h))
}
