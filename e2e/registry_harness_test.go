package e2e

// The registry the image tests pull from: Debian's docker-registry (CNCF
// distribution 2.8) on 127.0.0.1, started once per test binary on first
// use and stopped by TestMain; and a proxy in front of it that can cut or
// throttle blob downloads.

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// registryBinary is Debian's docker-registry package (.ci/setup installs it).
const registryBinary = "/usr/bin/docker-registry"

var registry struct {
	once sync.Once
	err  error

	addr    string // 127.0.0.1:PORT
	storage string // the filesystem driver's root directory
	cmd     *exec.Cmd
	log     *bytes.Buffer
	exited  chan struct{}
}

// registryAddr is host:port of the shared registry, started on first use.
// The registry is shared by every test: push content under a repository
// name of the test's own, and corrupt only blobs no other test uses.
func registryAddr(t *testing.T) string {
	t.Helper()
	registry.once.Do(func() { registry.err = startRegistry() })
	if registry.err != nil {
		t.Fatalf("registry: %v", registry.err)
	}
	return registry.addr
}

func startRegistry() error {
	if _, err := os.Stat(registryBinary); err != nil {
		return fmt.Errorf("%w (install Debian's docker-registry)", err)
	}
	dir := filepath.Join(env.workDir, "registry")
	registry.storage = filepath.Join(dir, "storage")
	if err := os.MkdirAll(registry.storage, 0o700); err != nil {
		return err
	}
	var lastErr error
	// The port is chosen free, then given to the registry: another process
	// may take it meanwhile, so try a few times.
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			return err
		}
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		config := filepath.Join(dir, "config.yml")
		if err := os.WriteFile(config, []byte(registryConfig(addr, registry.storage)), 0o600); err != nil {
			return err
		}
		if lastErr = launchRegistry(config, addr); lastErr == nil {
			return nil
		}
	}
	return lastErr
}

func registryConfig(addr, storage string) string {
	return fmt.Sprintf(`version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %s
`, storage, addr)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func launchRegistry(config, addr string) error {
	var log bytes.Buffer
	cmd := exec.Command(registryBinary, "serve", config)
	cmd.Stdout = &log
	cmd.Stderr = &log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case <-exited:
			return fmt.Errorf("%s exited at start: %s\n%s", registryBinary, cmd.ProcessState, &log)
		default:
		}
		resp, err := client.Get("http://" + addr + "/v2/")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				registry.addr, registry.cmd, registry.log, registry.exited = addr, cmd, &log, exited
				return nil
			}
		}
		if time.Now().After(deadline) {
			killGroup(cmd)
			<-exited
			return fmt.Errorf("%s on %s: /v2/ did not answer 200 within 15s (last: %v)\n%s", registryBinary, addr, err, &log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stopRegistry ends the registry if a test started it (TestMain calls it).
func stopRegistry() {
	if registry.cmd == nil {
		return
	}
	_ = registry.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-registry.exited:
	case <-time.After(5 * time.Second):
		killGroup(registry.cmd)
		<-registry.exited
	}
	registry.cmd = nil
}

// registryBlobData is the file the registry serves blob digest
// ("sha256:<hex>") from. Overwrite it to serve other bytes under the same
// digest, remove it to make the blob missing.
func registryBlobData(t *testing.T, digest string) string {
	t.Helper()
	registryAddr(t)
	hex, ok := strings.CutPrefix(digest, "sha256:")
	if !ok || len(hex) != 64 {
		t.Fatalf("registryBlobData: bad digest %q", digest)
	}
	p := filepath.Join(registry.storage, "docker/registry/v2/blobs/sha256", hex[:2], hex, "data")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("registry blob %s: %v", digest, err)
	}
	return p
}

// proxyMode is what a registryProxy does to blob downloads.
type proxyMode int32

const (
	proxyPass     proxyMode = iota // forward everything untouched
	proxyCut                       // close the connection after cutAfter bytes of a blob body
	proxyThrottle                  // send blob bodies slowly: chunk bytes per tick
)

// registryProxy is an HTTP proxy in front of the shared registry, for one
// test. Images are reached through it by the same repository names, with
// its address as the registry's.
type registryProxy struct {
	Addr string // 127.0.0.1:PORT

	mode     atomic.Int32
	cutAfter atomic.Int64
	chunk    atomic.Int64
	tick     atomic.Int64 // nanoseconds

	mu       sync.Mutex
	requests map[string]int // "GET /v2/.../blobs/sha256:..." → count

	// blobBytes counts blob body bytes sent to clients, over all requests.
	blobBytes atomic.Int64
	// blobRequests counts GET requests for blobs.
	blobRequests atomic.Int64
	// manifestRequests counts GET requests for manifests.
	manifestRequests atomic.Int64
}

// newRegistryProxy starts a proxy for the test, closed when it ends.
func newRegistryProxy(t *testing.T) *registryProxy {
	t.Helper()
	upstream := registryAddr(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &registryProxy{Addr: l.Addr().String(), requests: map[string]int{}}
	p.chunk.Store(16 << 10)
	p.tick.Store(int64(50 * time.Millisecond))
	transport := &http.Transport{DisableCompression: true, Proxy: nil}
	srv := &http.Server{
		Handler:  http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { p.serve(w, r, upstream, transport) }),
		ErrorLog: nil,
	}
	go srv.Serve(l)
	t.Cleanup(func() {
		srv.Close()
		transport.CloseIdleConnections()
	})
	return p
}

// Pass forwards everything untouched from now on.
func (p *registryProxy) Pass() { p.mode.Store(int32(proxyPass)) }

// Cut makes every blob response end, connection closed, after n bytes of
// its body.
func (p *registryProxy) Cut(n int64) {
	p.cutAfter.Store(n)
	p.mode.Store(int32(proxyCut))
}

// Throttle sends blob bodies at chunk bytes per tick.
func (p *registryProxy) Throttle(chunk int, tick time.Duration) {
	p.chunk.Store(int64(chunk))
	p.tick.Store(int64(tick))
	p.mode.Store(int32(proxyThrottle))
}

// Requests counts the requests for path ("/v2/test/busybox/blobs/sha256:...")
// with method.
func (p *registryProxy) Requests(method, path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests[method+" "+path]
}

// BlobGets counts GET requests for the blob digest, in any repository.
func (p *registryProxy) BlobGets(digest string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for k, c := range p.requests {
		if strings.HasPrefix(k, "GET ") && strings.HasSuffix(k, "/blobs/"+digest) {
			n += c
		}
	}
	return n
}

// Ref is ref ("repo:tag" or "repo@sha256:...") through the proxy.
func (p *registryProxy) Ref(ref string) string { return p.Addr + "/" + ref }

func (p *registryProxy) serve(w http.ResponseWriter, r *http.Request, upstream string, transport *http.Transport) {
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.URL.Scheme = "http"
	out.URL.Host = upstream
	out.Host = upstream
	p.mu.Lock()
	p.requests[r.Method+" "+r.URL.Path]++
	p.mu.Unlock()
	resp, err := transport.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	isBlob := r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/")
	if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/manifests/") {
		p.manifestRequests.Add(1)
	}
	if isBlob {
		p.blobRequests.Add(1)
	}
	for k, vs := range resp.Header {
		for _, v := range vs {
			// A Location of the registry's own would take the client past us.
			if k == "Location" {
				v = strings.Replace(v, upstream, p.Addr, 1)
			}
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	if !isBlob || resp.StatusCode/100 != 2 {
		io.Copy(w, resp.Body)
		return
	}
	flusher, _ := w.(http.Flusher)
	switch proxyMode(p.mode.Load()) {
	case proxyCut:
		n, _ := io.Copy(w, io.LimitReader(resp.Body, p.cutAfter.Load()))
		p.blobBytes.Add(n)
		if flusher != nil {
			flusher.Flush()
		}
		// Closes the client's connection with the body incomplete.
		panic(http.ErrAbortHandler)
	case proxyThrottle:
		buf := make([]byte, p.chunk.Load())
		for {
			n, err := io.ReadFull(resp.Body, buf)
			if n > 0 {
				if _, werr := w.Write(buf[:n]); werr != nil {
					return
				}
				p.blobBytes.Add(int64(n))
				if flusher != nil {
					flusher.Flush()
				}
			}
			if err != nil {
				return
			}
			if proxyMode(p.mode.Load()) == proxyThrottle {
				select {
				case <-time.After(time.Duration(p.tick.Load())):
				case <-r.Context().Done():
					return
				}
			}
		}
	default:
		n, _ := io.Copy(w, resp.Body)
		p.blobBytes.Add(n)
	}
}

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The harness itself: the registry serves what was pushed, by tag and by
// digest, and the proxy cuts and throttles blob downloads. It passes
// whatever state nook is in.
func TestRegistryHarness(t *testing.T) {
	s := testImages(t)
	for _, p := range []pushed{s.Busybox, s.Config, s.Zstd, s.Uncompressed, s.Whiteout, s.Truncated, s.DotDot} {
		for _, refStr := range []string{p.Ref(t), p.DigestRef(t)} {
			ref, err := name.ParseReference(refStr, name.Insecure)
			if err != nil {
				t.Fatal(err)
			}
			img, err := remote.Image(ref)
			if err != nil {
				t.Fatalf("fetch %s: %v", ref, err)
			}
			d, err := img.Digest()
			if err != nil || d.String() != p.Digest {
				t.Errorf("%s: digest %v (%v), pushed %s", ref, d, err, p.Digest)
			}
			layers, err := img.Layers()
			if err != nil || len(layers) != len(p.Layers) {
				t.Fatalf("%s: %d layers (%v), pushed %d", ref, len(layers), err, len(p.Layers))
			}
			for i, l := range layers {
				rc, err := l.Compressed()
				if err != nil {
					t.Fatal(err)
				}
				b, err := io.ReadAll(rc)
				rc.Close()
				if err != nil || sha256Hash(b).String() != p.Layers[i] {
					t.Errorf("%s layer %d: %v, sha256 %s, want %s", ref, i, err, sha256Hash(b), p.Layers[i])
				}
			}
		}
	}
	for _, p := range []pushed{s.Busybox, s.Truncated} {
		registryBlobData(t, p.Layers[0]) // exists
	}

	idx, err := remote.Index(mustRef(t, s.Multi.Ref(t)))
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil || len(im.Manifests) != 2 {
		t.Fatalf("index: %v, %+v", err, im)
	}
	for _, m := range im.Manifests {
		want := map[string]string{"amd64": s.MultiAMD64.Digest, "arm64": s.MultiARM64.Digest}[m.Platform.Architecture]
		if m.Digest.String() != want {
			t.Errorf("index entry %s: %s, want %s", m.Platform.Architecture, m.Digest, want)
		}
	}
	if _, err := remote.Get(mustRef(t, s.Artifact.Ref(t))); err != nil {
		t.Errorf("artifact: %v", err)
	}

	// Through the proxy: whole, cut, throttled.
	p := newRegistryProxy(t)
	blob := func() ([]byte, error) {
		l, err := remote.Layer(mustDigest(t, p.Addr+"/"+s.Busybox.Repo+"@"+s.Busybox.Layers[0]))
		if err != nil {
			return nil, err
		}
		rc, err := l.Compressed()
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return io.ReadAll(rc)
	}
	if b, err := blob(); err != nil || sha256Hash(b).String() != s.Busybox.Layers[0] {
		t.Errorf("through the proxy: %v", err)
	}
	p.Cut(1000)
	if _, err := blob(); err == nil {
		t.Errorf("cut blob downloaded whole")
	}
	if n := p.blobBytes.Load(); n < 1000 {
		t.Errorf("proxy sent %d blob bytes", n)
	}
	p.Throttle(16<<10, 50*time.Millisecond)
	start := time.Now()
	done := make(chan error, 1)
	go func() { _, err := blob(); done <- err }()
	waitFor(t, 10*time.Second, "a throttled chunk", func() bool { return p.blobBytes.Load() > 1000+16<<10 })
	select {
	case err := <-done:
		t.Fatalf("throttled blob done after %v: %v", time.Since(start), err)
	case <-time.After(200 * time.Millisecond):
	}
	p.Pass()
	if err := <-done; err != nil {
		t.Errorf("throttled then passed: %v", err)
	}
}

func mustRef(t *testing.T, s string) name.Reference {
	t.Helper()
	ref, err := name.ParseReference(s, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

func mustDigest(t *testing.T, s string) name.Digest {
	t.Helper()
	d, err := name.NewDigest(s, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
