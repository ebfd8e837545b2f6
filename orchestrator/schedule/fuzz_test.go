package schedule

import (
	"errors"
	"testing"
	"time"
	"unicode/utf8"
)

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"cron(0 3 * * ? *)", "0 3 * * ? *", "cron(0/15 * * * ? *)", "cron(0 12 ? * MON-FRI *)",
		"cron(0 8 L * ? *)", "cron(0 8 LW * ? *)", "cron(0 8 15W * ? *)", "cron(0 10 ? * 6L *)",
		"cron(0 10 ? * 3#2 *)", "cron(0 0 29 2 ? *)", "cron(0 0 1 1 ? 2027)", "cron(0 0 30 2 ? *)",
		"cron(10-30/5 1,5 1-15/2 JAN-MAR/2 ? 2026-2030/2)", "cron(0 0 ? * L *)", "cron(0 0 ? * fri#5 *)",
		"rate(5 minutes)", "rate(1 day)", "1 hour", "rate(1 days)", "cron(0 3 32 * ? *)", "", "cron(",
		"cron(0 3 * * ?)", "cron(é 3 * * ? *", "rate(99999999999999999999 days)", "cron(0 0 31W 2 ? *)",
	} {
		f.Add(seed)
	}
	starts := []time.Time{
		time.Date(2026, 11, 28, 22, 0, 0, 0, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 30, 0, time.UTC),
		time.Date(2199, 12, 31, 23, 0, 0, 0, time.UTC),
	}
	f.Fuzz(func(t *testing.T, expr string) {
		s, err := Parse(expr)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error is a %T, want *Error", expr, err)
			}
			if pe.Pos < 0 || pe.Pos > len(expr) || pe.Pos > utf8.RuneCountInString(expr) {
				t.Fatalf("Parse(%q): Pos %d outside [0,%d]", expr, pe.Pos, len(expr))
			}
			if pe.Msg == "" || err.Error() == "" {
				t.Fatalf("Parse(%q): empty message", expr)
			}
			return
		}
		if s == nil {
			t.Fatalf("Parse(%q) = nil, nil", expr)
		}

		// The canonical form parses to the same schedule.
		s2, err := Parse(s.String())
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q does not parse: %v", expr, s.String(), err)
		}
		if s2.String() != s.String() || s2.Every() != s.Every() {
			t.Fatalf("%q: canonical %q reparses as %q", expr, s.String(), s2.String())
		}

		for _, at := range starts {
			prev := at
			for i := 0; i < 5; i++ {
				next, ok := s.Next(prev)
				if next2, ok2 := s2.Next(prev); ok2 != ok || !next2.Equal(next) {
					t.Fatalf("%q: Next(%s) = %s %v, canonical form gives %s %v", expr, prev, next, ok, next2, ok2)
				}
				if !ok {
					break
				}
				if !next.After(prev) {
					t.Fatalf("%q: Next(%s) = %s, not after", expr, prev, next)
				}
				if _, isCron := s.(*Cron); isCron {
					if next.Second() != 0 || next.Nanosecond() != 0 || next.Year() < MinYear || next.Year() > MaxYear {
						t.Fatalf("%q: Next(%s) = %s, not a whole minute in 1970-2199", expr, prev, next)
					}
				} else if d := next.Sub(prev); d <= 0 || d > s.Every() {
					t.Fatalf("%q: Next(%s) = %s, more than one interval later", expr, prev, next)
				}
				prev = next
			}
		}
	})
}
