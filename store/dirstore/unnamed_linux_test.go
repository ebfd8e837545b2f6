package dirstore

import (
	"testing"

	"github.com/aloft-run/aloft/store"
	"github.com/aloft-run/aloft/store/storetest"
)

// TestConformanceLinkingByName runs the conformance suite with unnamed
// files linked through /proc/self/fd, as where the kernel refuses
// linkat(AT_EMPTY_PATH) (unprivileged users before Linux 6.10).
func TestConformanceLinkingByName(t *testing.T) {
	old := emptyPathLinks.Load()
	emptyPathLinks.Store(emptyPathRefused)
	t.Cleanup(func() { emptyPathLinks.Store(old) })
	storetest.Run(t, func(t *testing.T) store.Store { return openT(t, t.TempDir(), Options{}) })
}
