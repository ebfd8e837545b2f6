package batchrunner

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/aloft-run/aloft/store"
)

// logSink takes the task's combined output: it keeps all of it in a local
// file (uploaded as log.txt), the last few KiB for error.json, and passes
// each line on to the caller's writer.
type logSink struct {
	path string
	out  io.Writer

	mu        sync.Mutex
	file      *os.File
	tail      []byte
	truncated bool // tail lost its beginning
	dirty     bool // written since the last upload
}

func newLogSink(path string, out io.Writer) (*logSink, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o666)
	if err != nil {
		return nil, fmt.Errorf("make log file: %w", err)
	}
	return &logSink{path: path, out: out, file: f}, nil
}

// consume reads r to its end, line by line.
func (l *logSink) consume(r io.Reader) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		b, err := br.ReadSlice('\n')
		if len(b) > 0 {
			l.write(b)
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
	}
}

// write records one line (or a piece of an overlong or unterminated one).
func (l *logSink) write(b []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = l.file.Write(b)
	l.dirty = true
	l.tail = append(l.tail, b...)
	if len(l.tail) > 2*logTailBytes {
		l.tail = append(l.tail[:0], l.tail[len(l.tail)-logTailBytes:]...)
		l.truncated = true
	}
	if b[len(b)-1] != '\n' {
		b = append(bytes.Clone(b), '\n')
	}
	_, _ = l.out.Write(b)
}

// tailString is the last logTailBytes of output, starting at a line
// boundary where it was cut.
func (l *logSink) tailString() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.tail
	cut := l.truncated
	if len(t) > logTailBytes {
		t, cut = t[len(t)-logTailBytes:], true
	}
	if cut {
		if i := bytes.IndexByte(t, '\n'); i >= 0 && i < len(t)-1 {
			t = t[i+1:]
		}
	}
	return string(t)
}

// upload writes what the log holds so far to key.
func (l *logSink) upload(ctx context.Context, st store.Store, key string) error {
	l.mu.Lock()
	l.dirty = false
	l.mu.Unlock()
	f, err := os.Open(l.path)
	if err != nil {
		return fmt.Errorf("upload log: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("upload log: %w", err)
	}
	if _, err := st.Put(ctx, key, io.LimitReader(f, fi.Size()), store.PutOptions{}); err != nil {
		return fmt.Errorf("upload log: %w", err)
	}
	return nil
}

// flushEvery uploads the log every period while it changes, until stop is
// called (stop waits for an upload in progress). Upload errors are left for
// the final upload to report.
func (l *logSink) flushEvery(ctx context.Context, st store.Store, key string, period time.Duration) (stop func()) {
	if period <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				l.mu.Lock()
				dirty := l.dirty
				l.mu.Unlock()
				if dirty {
					_ = l.upload(ctx, st, key)
				}
			}
		}
	}()
	return func() {
		close(done)
		<-exited
	}
}

func (l *logSink) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	_ = l.file.Close()
}
