package images

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/aloft-run/aloft/internal/runnerbin"
)

// testRegistry is go-containerregistry's in-memory registry under
// httptest, counting the requests that upload blobs.
type testRegistry struct {
	host        string // 127.0.0.1:PORT (go-containerregistry speaks http to it)
	blobUploads atomic.Int32
	// password, when set, is asked of user "aloft" with HTTP basic auth.
	password atomic.Value
}

func newRegistry(t *testing.T) *testRegistry {
	t.Helper()
	r := &testRegistry{}
	h := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if pw, _ := r.password.Load().(string); pw != "" {
			if u, p, ok := req.BasicAuth(); !ok || u != "aloft" || p != pw {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
				return
			}
		}
		if strings.Contains(req.URL.Path, "/blobs/uploads") && req.Method != http.MethodGet && req.Method != http.MethodHead {
			r.blobUploads.Add(1) // POST (start or mount), PATCH, PUT
		}
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	r.host = strings.TrimPrefix(srv.URL, "http://")
	return r
}

// image returns a random image for platform p with env set, the way a
// base image from a registry looks.
func platformImage(t *testing.T, p Platform, env ...string) v1.Image {
	t.Helper()
	img, err := random.Image(512, 2)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = p.OS(), p.Arch(), p.Variant()
	cf.Config.Env = env
	cf.Config.Cmd = []string{"python3"}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// pushBase pushes a base image to host/repo:tag: one image for a single
// platform, an index of one image per platform for several. It returns
// the digest of each platform's manifest.
func (r *testRegistry) pushBase(t *testing.T, repoTag string, ps ...Platform) map[Platform]v1.Hash {
	t.Helper()
	ref, err := name.ParseReference(r.host + "/" + repoTag)
	if err != nil {
		t.Fatal(err)
	}
	digests := map[Platform]v1.Hash{}
	if len(ps) == 1 {
		img := platformImage(t, ps[0], "PATH=/usr/bin:/bin", "LANG=C.UTF-8")
		if err := remote.Write(ref, img); err != nil {
			t.Fatal(err)
		}
		digests[ps[0]], _ = img.Digest()
		return digests
	}
	var idx v1.ImageIndex = empty.Index
	idx = mutate.IndexMediaType(idx, types.OCIImageIndex)
	for _, p := range ps {
		img := platformImage(t, p, "PATH=/usr/bin:/bin", "LANG=C.UTF-8")
		pl := p.v1()
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &pl}})
		digests[p], _ = img.Digest()
	}
	if err := remote.WriteIndex(ref, idx); err != nil {
		t.Fatal(err)
	}
	return digests
}

// fakeRunner is a minimal static ELF executable header for arch followed
// by filler: enough for runnerbin.Check, and quick.
func fakeRunner(arch string) []byte {
	m := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[arch]
	var b bytes.Buffer
	b.Write([]byte{0x7f, 'E', 'L', 'F', byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT), 0})
	b.Write(make([]byte, 8))
	le := binary.LittleEndian
	_ = binary.Write(&b, le, uint16(elf.ET_EXEC))
	_ = binary.Write(&b, le, uint16(m))
	_ = binary.Write(&b, le, uint32(elf.EV_CURRENT))
	_ = binary.Write(&b, le, [3]uint64{}) // entry, phoff, shoff
	_ = binary.Write(&b, le, uint32(0))   // flags
	_ = binary.Write(&b, le, [6]uint16{64, 56, 0, 64, 0, 0})
	b.WriteString(strings.Repeat("aloft-runner stand-in ", 64))
	return b.Bytes()
}

// realRunners builds the real runner once per test binary and architecture.
var realRunners struct {
	sync.Mutex
	bins map[string][]byte
}

// codeDir writes files (path -> content) under a new directory.
func codeDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// pulled fetches a pushed image by reference.
func pulled(t *testing.T, ref string) v1.Image {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(r, remote.WithContext(context.Background()))
	if err != nil {
		t.Fatalf("pulling %s: %v", ref, err)
	}
	return img
}

// TestMain lets realRunner build the runner from the source tree.
func TestMain(m *testing.M) {
	os.Setenv(runnerbin.FromSourceEnv, "1")
	os.Exit(m.Run())
}

func realRunner(t *testing.T, arch string) []byte {
	t.Helper()
	realRunners.Lock()
	defer realRunners.Unlock()
	if b, ok := realRunners.bins[arch]; ok {
		return b
	}
	b, err := runnerbin.Get(context.Background(), arch, "")
	if err != nil {
		t.Fatalf("building the runner for %s: %v", arch, err)
	}
	if realRunners.bins == nil {
		realRunners.bins = map[string][]byte{}
	}
	realRunners.bins[arch] = b
	return b
}
