package batchrunner

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/aloft-run/aloft/store"
)

// logSpill is how much output a logSink keeps in memory before it moves
// the log to its local file.
const logSpill = 1 << 20

// logSink takes the task's combined output: it keeps all of it (in memory
// while it is small, then in a local file, uploaded as log.txt), the last
// few KiB for error.json, and passes each line on to the caller's writer.
// A task that prints nothing costs no file at all: creating files is what
// a short task's overhead is made of on many file systems.
type logSink struct {
	path     string // the local file, made when the log outgrows spillAt
	spillAt  int    // logSpill; 0: the file from the first byte
	keepFile bool   // close leaves the file (KeepWorkDir)
	out      io.Writer

	mu        sync.Mutex
	buf       []byte   // the whole log while file is nil
	file      *os.File // nil until the log spills
	size      int64    // bytes written so far
	spillErr  error    // the spill failed: the log is incomplete
	tail      []byte
	truncated bool // tail lost its beginning
	dirty     bool // written since the last upload
}

// newLogSink makes a sink whose local file, if it needs one, is path.
// With keepFile the whole log goes to the file, which close leaves behind.
func newLogSink(path string, out io.Writer, keepFile bool) *logSink {
	l := &logSink{path: path, out: out, spillAt: logSpill, keepFile: keepFile}
	if keepFile {
		l.spillAt = 0
	}
	return l
}

// consume reads r to its end, line by line.
func (l *logSink) consume(r io.Reader) {
	s := newLineSplitter(l)
	defer s.release()
	for s.feed(r) {
	}
	s.flush()
}

// lineSplitter hands a task's output to a logSink line by line, as it is
// read: by consume from a reader, or a read at a time by a runner that
// waits for output among other things.
type lineSplitter struct {
	sink *logSink
	buf  []byte // a 64 KiB buffer from lineBuffers
	n    int    // bytes in buf not yet handed over
}

// lineBuffers recycles the splitters' buffers: a fan-out of short tasks
// would otherwise allocate one per task.
var lineBuffers = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

func newLineSplitter(sink *logSink) *lineSplitter {
	return &lineSplitter{sink: sink, buf: *lineBuffers.Get().(*[]byte)}
}

func (s *lineSplitter) release() {
	b := s.buf
	s.buf = nil
	lineBuffers.Put(&b)
}

// feed reads from r once and passes on the complete lines (or a full
// buffer without a newline, in one piece); false at the end of the output
// or on an error.
func (s *lineSplitter) feed(r io.Reader) bool {
	m, err := r.Read(s.buf[s.n:])
	if m > 0 {
		s.n += m
		start := 0
		for {
			i := bytes.IndexByte(s.buf[start:s.n], '\n')
			if i < 0 {
				break
			}
			s.sink.write(s.buf[start : start+i+1])
			start += i + 1
		}
		switch {
		case start == 0 && s.n == len(s.buf):
			s.sink.write(s.buf[:s.n]) // an overlong line, in pieces
			s.n = 0
		case start > 0:
			s.n = copy(s.buf, s.buf[start:s.n])
		}
	}
	return err == nil
}

// flush passes on an unterminated last line.
func (s *lineSplitter) flush() {
	if s.n > 0 {
		s.sink.write(s.buf[:s.n])
		s.n = 0
	}
}

// write records one line (or a piece of an overlong or unterminated one).
func (l *logSink) write(b []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.keep(b)
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

// keep appends b to the log: to the buffer, or to the file once the log
// has outgrown spillAt. The caller holds l.mu.
func (l *logSink) keep(b []byte) {
	l.size += int64(len(b))
	if l.file == nil && l.spillErr == nil && len(l.buf)+len(b) > l.spillAt {
		f, err := os.OpenFile(l.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o666)
		if err == nil {
			_, err = f.Write(l.buf)
		}
		if err != nil {
			l.spillErr = fmt.Errorf("log file: %w", err)
			if f != nil {
				_ = f.Close()
			}
		} else {
			l.file, l.buf = f, nil
		}
	}
	switch {
	case l.file != nil:
		_, _ = l.file.Write(b)
	case l.spillErr == nil:
		l.buf = append(l.buf, b...)
	}
}

// upload writes what the log holds so far to key. A log that is still
// empty is not written: readers take a missing log.txt for no output.
func (l *logSink) upload(ctx context.Context, st store.Store, key string) error {
	l.mu.Lock()
	l.dirty = false
	size, buf, spilled, serr := l.size, l.buf, l.file != nil, l.spillErr
	l.mu.Unlock()
	if serr != nil {
		return fmt.Errorf("upload log: %w", serr)
	}
	if size == 0 {
		return nil
	}
	if !spilled {
		// buf only grows by appending: the bytes seen here stay as they are.
		if _, err := st.Put(ctx, key, bytes.NewReader(buf), store.PutOptions{}); err != nil {
			return fmt.Errorf("upload log: %w", err)
		}
		return nil
	}
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
// the final upload to report. It runs on a timer, not a goroutine of its
// own: a task that ends before the first period costs nothing.
func (l *logSink) flushEvery(ctx context.Context, st store.Store, key string, period time.Duration) (stop func()) {
	if period <= 0 {
		return func() {}
	}
	var (
		mu      sync.Mutex // held by an upload in progress
		stopped bool
		t       *time.Timer
	)
	mu.Lock()
	defer mu.Unlock()
	t = time.AfterFunc(period, func() {
		mu.Lock()
		defer mu.Unlock()
		if stopped || ctx.Err() != nil {
			return
		}
		l.mu.Lock()
		dirty := l.dirty
		l.mu.Unlock()
		if dirty {
			_ = l.upload(ctx, st, key)
		}
		t.Reset(period)
	})
	return func() {
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		t.Stop()
	}
}

// close closes the local file, if the log spilled to one, and removes it
// unless it is to be kept.
func (l *logSink) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.file != nil {
		_ = l.file.Close()
		if !l.keepFile {
			_ = os.Remove(l.path)
		}
		l.file = nil
	}
	l.buf = nil
}
