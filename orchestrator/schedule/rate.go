package schedule

import (
	"math"
	"math/big"
	"strconv"
	"time"
)

// Day is the length of the day unit of a rate expression. EventBridge rates
// are fixed intervals; UTC has no daylight saving time.
const Day = 24 * time.Hour

// Rate is a rate(N unit) schedule. It fires at Anchor + k*Every() for every
// integer k.
type Rate struct {
	// Value is N, a positive integer.
	Value int
	// Unit is time.Minute, time.Hour or Day.
	Unit time.Duration
	// Anchor is the time from which EventBridge counts the rate, the
	// creation of the rule. The zero Time means the Unix epoch.
	Anchor time.Time
}

// Every returns the interval of the rate, or 0 if the rate is invalid.
func (r Rate) Every() time.Duration {
	if r.Value <= 0 || unitName(r.Unit) == "" || int64(r.Value) > math.MaxInt64/int64(r.Unit) {
		return 0
	}
	return time.Duration(r.Value) * r.Unit
}

func unitName(u time.Duration) string {
	switch u {
	case time.Minute:
		return "minute"
	case time.Hour:
		return "hour"
	case Day:
		return "day"
	}
	return ""
}

// String returns the canonical expression, such as "rate(1 day)" or
// "rate(5 minutes)".
func (r Rate) String() string {
	name := unitName(r.Unit)
	switch {
	case name == "":
		name = r.Unit.String() // not a valid unit; show it as a duration
	case r.Value != 1:
		name += "s"
	}
	return "rate(" + strconv.Itoa(r.Value) + " " + name + ")"
}

// Next returns the first time Anchor + k*Every(), k an integer, strictly
// after after. It reports false for an invalid Rate or when the result is
// beyond the range of time.Time.
func (r Rate) Next(after time.Time) (time.Time, bool) {
	every := r.Every()
	if every <= 0 {
		return time.Time{}, false
	}
	step := int64(every / time.Second) // a whole number of minutes
	anchor := r.Anchor
	if anchor.IsZero() {
		anchor = time.Unix(0, 0)
	}
	as, an := anchor.Unix(), int64(anchor.Nanosecond())
	bs, bn := after.Unix(), int64(after.Nanosecond())

	const lim = 1 << 61
	if -lim < as && as < lim && -lim < bs && bs < lim {
		// diff = after - anchor = ds + dn/1e9 with 0 <= dn < 1e9. As step is
		// a whole number of seconds, the smallest k with k*step > diff is
		// floor(ds/step) + 1.
		ds, dn := bs-as, bn-an
		if dn < 0 {
			ds--
		}
		k := ds / step
		if ds%step != 0 && ds < 0 {
			k--
		}
		k++
		return time.Unix(as+k*step, an).UTC(), true
	}

	// Times hundreds of billions of years apart: use big integers.
	ds := new(big.Int).Sub(big.NewInt(bs), big.NewInt(as))
	if bn-an < 0 {
		ds.Sub(ds, big.NewInt(1))
	}
	k := new(big.Int).Div(ds, big.NewInt(step)) // Euclidean: floor for step > 0
	k.Add(k, big.NewInt(1))
	sec := k.Mul(k, big.NewInt(step))
	sec.Add(sec, big.NewInt(as))
	// time.Unix overflows past this many seconds (the Unix epoch is
	// 62135596800 s after the zero Time).
	if !sec.IsInt64() || sec.Int64() > math.MaxInt64-62135596800 {
		return time.Time{}, false
	}
	return time.Unix(sec.Int64(), an).UTC(), true
}

var rateUnits = map[string]struct {
	unit   time.Duration
	plural bool
}{
	"minute":  {time.Minute, false},
	"minutes": {time.Minute, true},
	"hour":    {time.Hour, false},
	"hours":   {time.Hour, true},
	"day":     {Day, false},
	"days":    {Day, true},
}

// parseRate parses the tokens of a rate expression; closing is the offset of
// the closing parenthesis (or the end of a bare expression).
func (p *parser) parseRate(toks []token, body string, closing int) (Schedule, error) {
	if len(toks) != 2 {
		off := closing
		if len(toks) > 2 {
			off = toks[2].pos
		}
		return nil, p.failExpr(off, body,
			"a rate expression has 2 parts, a value and a unit, got %d; e.g. rate(5 minutes) or rate(1 day)", len(toks))
	}
	val, unit := toks[0], toks[1]
	if !isDigits(val.text) {
		return nil, p.fail("rate", "value", 0, val.pos, val.text,
			"value must be a positive whole number, e.g. rate(5 minutes)")
	}
	n := atoi(val.text)
	if n == 0 {
		return nil, p.fail("rate", "value", 0, val.pos, val.text,
			"value must be a positive whole number (at least 1), e.g. rate(1 minute)")
	}
	u, ok := rateUnits[unit.text]
	if !ok {
		return nil, p.fail("rate", "unit", 0, unit.pos, unit.text,
			"unit must be minute(s), hour(s) or day(s) in lower case, e.g. rate(%d %s)",
			n, plural("minute", n))
	}
	if int64(n) > math.MaxInt64/int64(u.unit) {
		return nil, p.fail("rate", "value", 0, val.pos, val.text,
			"value too large; the interval must be below about 292 years")
	}
	name := unitName(u.unit)
	if n == 1 && u.plural {
		return nil, p.fail("rate", "unit", 0, unit.pos, unit.text,
			"use the singular %q when the value is 1: rate(1 %s)", name, name)
	}
	if n != 1 && !u.plural {
		return nil, p.fail("rate", "unit", 0, unit.pos, unit.text,
			"use the plural %q when the value is greater than 1: rate(%d %ss)", name+"s", n, name)
	}
	return Rate{Value: n, Unit: u.unit}, nil
}

func plural(unit string, n int) string {
	if n == 1 {
		return unit
	}
	return unit + "s"
}
