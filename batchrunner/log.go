package batchrunner

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aloft-run/aloft/store"
)

// defaultLogLimit is how much of a task's output log.txt keeps: the first
// half and the last half, with a line between saying how much was dropped.
const defaultLogLimit = 64 << 20

// logSpill is how much output a logSink keeps in memory before it moves
// the log to its local file.
const logSpill = 1 << 20

// logSink takes the task's combined output: it keeps all of it (in memory
// while it is small, then in a local file, uploaded as log.txt), the last
// few KiB for error.json, and passes each line on to the caller's writer.
// Past its limit it keeps the first half of the limit and the last half
// (in memory, a ring), dropping what was printed between.
// A task that prints nothing costs no file at all: creating files is what
// a short task's overhead is made of on many file systems.
type logSink struct {
	path     string // the local file, made when the log outgrows spillAt
	spillAt  int    // logSpill; 0: the file from the first byte
	keepFile bool   // close leaves the file (KeepWorkDir)
	out      io.Writer
	limit    int64 // bytes log.txt keeps; defaultLogLimit unless set before the first write

	mu        sync.Mutex
	buf       []byte   // the whole log while file is nil
	file      *os.File // nil until the log spills
	size      int64    // bytes written so far
	head      int64    // of which kept in buf or file, at most limit-limit/2
	headLine  bool     // the head ends in a newline
	ring      logRing  // the last limit/2 bytes after the head
	spillErr  error    // the spill failed: the log is incomplete
	tail      []byte
	truncated bool // tail lost its beginning
	dirty     bool // written since the last upload
}

// newLogSink makes a sink whose local file, if it needs one, is path.
// With keepFile the whole log goes to the file, which close leaves behind.
func newLogSink(path string, out io.Writer, keepFile bool) *logSink {
	l := &logSink{path: path, out: out, spillAt: logSpill, keepFile: keepFile, limit: defaultLogLimit}
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

// keep appends b to the log: to the head while it is under its share of
// the limit, then to the ring of the last bytes. The caller holds l.mu.
func (l *logSink) keep(b []byte) {
	l.size += int64(len(b))
	if room := l.limit - l.limit/2 - l.head; room > 0 {
		h := b[:min(int64(len(b)), room)]
		l.keepHead(h)
		l.headLine = len(h) > 0 && h[len(h)-1] == '\n'
		l.head += int64(len(h))
		b = b[len(h):]
	}
	if len(b) > 0 {
		l.ring.write(b, int(l.limit/2))
	}
}

// keepHead appends b to the buffer, or to the file once the log has
// outgrown spillAt. The caller holds l.mu.
func (l *logSink) keepHead(b []byte) {
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
	size, head, headLine, buf, spilled, serr := l.size, l.head, l.headLine, l.buf, l.file != nil, l.spillErr
	tail := l.ring.bytes()
	l.mu.Unlock()
	if serr != nil {
		return fmt.Errorf("upload log: %w", serr)
	}
	if size == 0 {
		return nil
	}
	// buf only grows by appending, and the file is only appended to: the
	// first head bytes seen here stay as they are.
	var r io.Reader = bytes.NewReader(buf)
	if spilled {
		f, err := os.Open(l.path)
		if err != nil {
			return fmt.Errorf("upload log: %w", err)
		}
		defer f.Close()
		r = io.LimitReader(f, head)
	}
	if len(tail) > 0 {
		marker := ""
		if dropped := size - head - int64(len(tail)); dropped > 0 {
			marker = fmt.Sprintf("[aloft: %d bytes of output dropped here; log.txt keeps the first %d and the last %d]\n",
				dropped, head, len(tail))
			if !headLine {
				marker = "\n" + marker
			}
		}
		r = io.MultiReader(r, strings.NewReader(marker), bytes.NewReader(tail))
	}
	if _, err := st.Put(ctx, key, r, store.PutOptions{}); err != nil {
		return fmt.Errorf("upload log: %w", err)
	}
	return nil
}

// logRing holds the last bytes written to it, up to a size fixed at the
// first write.
type logRing struct {
	buf []byte
	n   int64 // bytes written in all
}

func (r *logRing) write(b []byte, size int) {
	if size <= 0 {
		return
	}
	if r.buf == nil {
		r.buf = make([]byte, size)
	}
	for len(b) > 0 {
		k := copy(r.buf[r.n%int64(len(r.buf)):], b)
		b = b[k:]
		r.n += int64(k)
	}
}

// bytes is a copy of what the ring holds, oldest first.
func (r *logRing) bytes() []byte {
	if r.n <= int64(len(r.buf)) {
		return bytes.Clone(r.buf[:r.n])
	}
	i := r.n % int64(len(r.buf))
	return append(bytes.Clone(r.buf[i:]), r.buf[:i]...)
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
