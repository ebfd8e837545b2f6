package schedule

import (
	"testing"
	"time"
)

func TestRateParse(t *testing.T) {
	tests := []struct {
		in    string
		want  Rate
		str   string
		every time.Duration
	}{
		{"rate(1 minute)", Rate{Value: 1, Unit: time.Minute}, "rate(1 minute)", time.Minute},
		{"rate(5 minutes)", Rate{Value: 5, Unit: time.Minute}, "rate(5 minutes)", 5 * time.Minute},
		{"rate(1 hour)", Rate{Value: 1, Unit: time.Hour}, "rate(1 hour)", time.Hour},
		{"rate(12 hours)", Rate{Value: 12, Unit: time.Hour}, "rate(12 hours)", 12 * time.Hour},
		{"rate(1 day)", Rate{Value: 1, Unit: Day}, "rate(1 day)", 24 * time.Hour},
		{"rate(7 days)", Rate{Value: 7, Unit: Day}, "rate(7 days)", 7 * 24 * time.Hour},
		{"1 day", Rate{Value: 1, Unit: Day}, "rate(1 day)", 24 * time.Hour},
		{"30 minutes", Rate{Value: 30, Unit: time.Minute}, "rate(30 minutes)", 30 * time.Minute},
		{" rate(  2   hours ) ", Rate{Value: 2, Unit: time.Hour}, "rate(2 hours)", 2 * time.Hour},
		{"rate(05 minutes)", Rate{Value: 5, Unit: time.Minute}, "rate(5 minutes)", 5 * time.Minute},
	}
	for _, tt := range tests {
		s, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		r, ok := s.(Rate)
		if !ok {
			t.Errorf("Parse(%q) is a %T, want Rate", tt.in, s)
			continue
		}
		if r != tt.want {
			t.Errorf("Parse(%q) = %+v, want %+v", tt.in, r, tt.want)
		}
		if got := s.String(); got != tt.str {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.str)
		}
		if got := s.Every(); got != tt.every {
			t.Errorf("Parse(%q).Every() = %s, want %s", tt.in, got, tt.every)
		}
	}
}

func TestRateNext(t *testing.T) {
	tests := []struct {
		expr   string
		anchor string // "" = zero (Unix epoch)
		after  string
		want   string
	}{
		// Epoch anchor: multiples of 5 minutes since 1970.
		{"rate(5 minutes)", "", "2026-01-01T00:02:30Z", "2026-01-01T00:05:00Z"},
		{"rate(5 minutes)", "", "2026-01-01T00:05:00Z", "2026-01-01T00:10:00Z"}, // strictly after
		{"rate(5 minutes)", "", "2026-01-01T00:04:59.999999999Z", "2026-01-01T00:05:00Z"},
		{"rate(5 minutes)", "", "1969-12-31T23:58:00Z", "1970-01-01T00:00:00Z"},
		{"rate(1 day)", "", "2026-11-28T22:00:00Z", "2026-11-29T00:00:00Z"},
		// 7 days from the epoch (a Thursday): 2026-11-26 is a Thursday.
		{"rate(7 days)", "", "2026-11-24T00:00:00Z", "2026-11-26T00:00:00Z"},

		// Anchor at rule creation, 2026-03-10T14:03:27Z.
		{"rate(5 minutes)", "2026-03-10T14:03:27Z", "2026-03-10T14:03:27Z", "2026-03-10T14:08:27Z"},
		{"rate(5 minutes)", "2026-03-10T14:03:27Z", "2026-03-10T14:08:26Z", "2026-03-10T14:08:27Z"},
		{"rate(5 minutes)", "2026-03-10T14:03:27Z", "2026-03-10T14:08:27Z", "2026-03-10T14:13:27Z"},
		{"rate(5 minutes)", "2026-03-10T14:03:27Z", "2026-03-11T00:00:00Z", "2026-03-11T00:03:27Z"},
		// Before the anchor the same phase continues backwards.
		{"rate(5 minutes)", "2026-03-10T14:03:27Z", "2026-03-10T14:00:00Z", "2026-03-10T14:03:27Z"},
		{"rate(5 minutes)", "2026-03-10T14:03:27Z", "2026-03-10T13:50:00Z", "2026-03-10T13:53:27Z"},
		// Sub-second anchors keep their fraction.
		{"rate(1 hour)", "2026-01-01T10:30:00.25Z", "2026-01-01T12:30:00.25Z", "2026-01-01T13:30:00.25Z"},
		{"rate(1 hour)", "2026-01-01T10:30:00.25Z", "2026-01-01T12:30:00.2Z", "2026-01-01T12:30:00.25Z"},
		{"rate(1 day)", "2026-01-01T12:00:00Z", "2026-11-28T22:00:00Z", "2026-11-29T12:00:00Z"},
		{"rate(12 hours)", "2026-01-01T12:00:00+02:00", "2026-01-01T12:00:00Z", "2026-01-01T22:00:00Z"},
		// Far apart.
		{"rate(1 day)", "2026-01-01T00:00:00Z", "3026-01-01T00:30:00Z", "3026-01-02T00:00:00Z"},
	}
	for _, tt := range tests {
		s := MustParse(tt.expr)
		if tt.anchor != "" {
			s = WithAnchor(s, mustTime(t, tt.anchor))
		}
		got, ok := s.Next(mustTime(t, tt.after))
		want := mustTime(t, tt.want)
		if !ok || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("%s anchored %q .Next(%s) = %s %v, want %s",
				tt.expr, tt.anchor, tt.after, got.Format(time.RFC3339Nano), ok, tt.want)
		}
	}
}

func TestRateNextExtremes(t *testing.T) {
	r := Rate{Value: 1, Unit: time.Minute}
	// Times far beyond the int64-second fast path still work.
	far := time.Date(-100_000_000_000, 1, 1, 0, 0, 30, 0, time.UTC)
	got, ok := r.Next(far)
	if !ok || !got.After(far) || got.Sub(far) > time.Minute {
		t.Errorf("Next(%s) = %s %v", far, got, ok)
	}
	// Next of the last representable minute is beyond time.Time: false.
	maxT := time.Unix(1<<63-1-62135596800, 999999999)
	if got, ok := r.Next(maxT); ok {
		t.Errorf("Next(max time) = %s, want none", got)
	}
	// Invalid rates never fire.
	for _, bad := range []Rate{{}, {Value: -1, Unit: time.Minute}, {Value: 1, Unit: time.Second}, {Value: 1 << 62, Unit: Day}} {
		if _, ok := bad.Next(time.Unix(0, 0)); ok {
			t.Errorf("%+v.Next fired", bad)
		}
		if bad.Every() != 0 {
			t.Errorf("%+v.Every() = %s", bad, bad.Every())
		}
	}
	if got := (Rate{Value: 2, Unit: time.Second}).String(); got != "rate(2 1s)" {
		t.Errorf("invalid Rate String = %q", got)
	}
}

func TestWithAnchor(t *testing.T) {
	anchor := time.Date(2026, 3, 10, 14, 3, 27, 0, time.UTC)
	if got := WithAnchor(MustParse("rate(5 minutes)"), anchor).(Rate).Anchor; !got.Equal(anchor) {
		t.Errorf("WithAnchor(Rate) anchor = %s", got)
	}
	p := &Rate{Value: 5, Unit: time.Minute}
	if got := WithAnchor(p, anchor).(Rate).Anchor; !got.Equal(anchor) || !p.Anchor.IsZero() {
		t.Errorf("WithAnchor(*Rate) anchor = %s, original %s", got, p.Anchor)
	}
	c := MustParse("cron(0 3 * * ? *)")
	if WithAnchor(c, anchor) != c {
		t.Errorf("WithAnchor(cron) changed the schedule")
	}
}
