package local

import (
	"bytes"
	"io"
	"sync"
)

// lockedWriter serialises writes from concurrent jobs.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// prefixWriter puts a prefix before every line, writing each whole line
// with one Write so lines of concurrent jobs do not interleave.
type prefixWriter struct {
	w       io.Writer
	prefix  string
	partial []byte // an unfinished line
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			p.partial = append(p.partial, b...)
			break
		}
		line := make([]byte, 0, len(p.prefix)+len(p.partial)+i+1)
		line = append(append(append(line, p.prefix...), p.partial...), b[:i+1]...)
		p.partial = p.partial[:0]
		if _, err := p.w.Write(line); err != nil {
			return 0, err
		}
		b = b[i+1:]
	}
	return n, nil
}
