package schedule

import (
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// Indexes of the cron fields.
const (
	fMinutes = iota
	fHours
	fDayOfMonth
	fMonth
	fDayOfWeek
	fYear
	numFields
)

type fieldSpec struct {
	name     string
	min, max int
	names    []string // names[i] is value min+i
	wildcard string   // the wildcards EventBridge allows, for messages
}

var fieldSpecs = [numFields]fieldSpec{
	{"minutes", 0, 59, nil, ", - * /"},
	{"hours", 0, 23, nil, ", - * /"},
	{"day-of-month", 1, 31, nil, ", - * ? / L W"},
	{"month", 1, 12, []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}, ", - * /"},
	{"day-of-week", 1, 7, []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}, ", - * ? L #"},
	{"year", MinYear, MaxYear, nil, ", - * /"},
}

// bitset holds values 0..255 (a field value minus the field's minimum).
type bitset [4]uint64

func (b *bitset) add(i int)      { b[i>>6] |= 1 << (i & 63) }
func (b *bitset) has(i int) bool { return b[i>>6]&(1<<(i&63)) != 0 }

// Modes of the day-of-month and day-of-week fields.
const (
	dayAny            = iota // ?
	daySet                   // a list of values (day-of-week L is the set {7})
	domLast                  // L
	domLastWeekday           // LW
	domNearestWeekday        // nW
	dowLast                  // nL
	dowNth                   // n#k
)

// Cron is a parsed cron(...) schedule. Its zero value is not usable; get one
// from Parse.
type Cron struct {
	fields [numFields]string // canonical (upper-case) field texts

	minutes uint64 // bit m: minute m
	hours   uint64 // bit h: hour h
	months  uint16 // bit m: month m (1-12)
	years   bitset // bit y-MinYear

	domMode int
	dom     uint64 // daySet: bit d for day d (1-31)
	domDay  int    // domNearestWeekday: n

	dowMode int
	dow     uint8 // daySet: bit w for weekday w (0 = Sunday)
	dowDay  int   // dowLast, dowNth: weekday, 0 = Sunday
	dowNth  int   // dowNth: k
}

// String returns the canonical expression, e.g. "cron(0 3 * * ? *)": the
// fields as written, upper-cased, separated by single spaces.
func (c *Cron) String() string {
	return "cron(" + strings.Join(c.fields[:], " ") + ")"
}

// Every returns 0: cron schedules have no fixed interval.
func (c *Cron) Every() time.Duration { return 0 }

// Fields returns the six canonical fields.
func (c *Cron) Fields() [6]string { return c.fields }

// firstAtOrAfter returns the lowest set bit of set at index >= i, or -1.
func firstAtOrAfter(set uint64, i int) int {
	if i >= 64 {
		return -1
	}
	set &^= 1<<uint(i) - 1
	if set == 0 {
		return -1
	}
	return bits.TrailingZeros64(set)
}

func daysIn(y int, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// weekdayOf1st returns the weekday (0 = Sunday) of the first of month m of y.
func weekdayOf1st(y, m int) int {
	return int(time.Date(y, time.Month(m), 1, 0, 0, 0, 0, time.UTC).Weekday())
}

// dayMask returns the days of month m of year y on which c fires: bit d for
// day d.
func (c *Cron) dayMask(y, m int) uint64 {
	n := daysIn(y, m)
	all := uint64(1)<<uint(n+1) - 2 // days 1..n
	switch c.domMode {
	case daySet:
		return c.dom & all
	case domLast:
		return 1 << uint(n)
	case domLastWeekday:
		d := n
		switch (weekdayOf1st(y, m) + n - 1) % 7 {
		case 6: // Saturday
			d--
		case 0: // Sunday
			d -= 2
		}
		return 1 << uint(d)
	case domNearestWeekday:
		d := c.domDay
		if d > n {
			return 0 // no such day this month
		}
		switch (weekdayOf1st(y, m) + d - 1) % 7 {
		case 6: // Saturday: Friday before, or Monday after the 1st
			if d == 1 {
				d = 3
			} else {
				d--
			}
		case 0: // Sunday: Monday after, or Friday before the last day
			if d == n {
				d -= 2
			} else {
				d++
			}
		}
		return 1 << uint(d)
	}

	first := weekdayOf1st(y, m)
	switch c.dowMode {
	case daySet:
		var mask uint64
		for w := 0; w < 7; w++ {
			if c.dow&(1<<uint(w)) == 0 {
				continue
			}
			for d := 1 + (w-first+7)%7; d <= n; d += 7 {
				mask |= 1 << uint(d)
			}
		}
		return mask
	case dowLast:
		last := (first + n - 1) % 7
		return 1 << uint(n-(last-c.dowDay+7)%7)
	case dowNth:
		d := 1 + (c.dowDay-first+7)%7 + 7*(c.dowNth-1)
		if d > n {
			return 0
		}
		return 1 << uint(d)
	}
	return 0
}

// timeInDay returns the first (hour, minute) at or after (h, m) at which c
// fires within a day.
func (c *Cron) timeInDay(h, m int) (int, int, bool) {
	if c.hours&(1<<uint(h)) != 0 {
		if mm := firstAtOrAfter(c.minutes, m); mm >= 0 {
			return h, mm, true
		}
	}
	hh := firstAtOrAfter(c.hours, h+1)
	if hh < 0 {
		return 0, 0, false
	}
	return hh, bits.TrailingZeros64(c.minutes), true
}

// Next returns the first whole minute strictly after after, in UTC, at which
// the schedule fires. It reports false when there is none up to the end of
// year MaxYear. It looks at each month at most once, so it is fast even for
// expressions that never fire.
func (c *Cron) Next(after time.Time) (time.Time, bool) {
	after = after.UTC()
	if after.Year() > MaxYear {
		return time.Time{}, false
	}
	var start time.Time
	if after.Year() < MinYear {
		start = time.Date(MinYear, 1, 1, 0, 0, 0, 0, time.UTC)
	} else {
		start = after.Truncate(time.Minute).Add(time.Minute)
	}
	y, mon, d := start.Date()
	mo := int(mon)
	h, mi := start.Hour(), start.Minute()

	for ; y <= MaxYear; y, mo, d, h, mi = y+1, 1, 1, 0, 0 {
		if !c.years.has(y - MinYear) {
			continue
		}
		for ; mo <= 12; mo, d, h, mi = mo+1, 1, 0, 0 {
			if c.months&(1<<uint(mo)) == 0 {
				continue
			}
			days := c.dayMask(y, mo)
			for dd := firstAtOrAfter(days, d); dd >= 0; dd = firstAtOrAfter(days, dd+1) {
				if dd != d {
					h, mi = 0, 0
				}
				if hh, mm, ok := c.timeInDay(h, mi); ok {
					return time.Date(y, time.Month(mo), dd, hh, mm, 0, 0, time.UTC), true
				}
			}
		}
	}
	return time.Time{}, false
}

// parseCron parses the fields of a cron expression; closing is the offset of
// the closing parenthesis (or the end of a bare expression).
func (p *parser) parseCron(toks []token, body string, closing int) (Schedule, error) {
	if len(toks) != numFields {
		off := closing
		if len(toks) > numFields {
			off = toks[numFields].pos
		}
		hint := "e.g. cron(0 3 * * ? *) for 03:00 UTC every day"
		if len(toks) == 5 {
			hint = "EventBridge cron has a year field after day-of-week: append * (and use ? in day-of-month or day-of-week), e.g. cron(0 3 * * ? *)"
		}
		return nil, p.failExpr(off, body,
			"a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), got %d; %s",
			len(toks), hint)
	}
	c := &Cron{}
	for i, tok := range toks {
		c.fields[i] = asciiUpper(tok.text)
		if err := p.parseCronField(c, i, tok); err != nil {
			return nil, err
		}
	}

	// Exactly one of day-of-month and day-of-week must be ?.
	domTok, dowTok := toks[fDayOfMonth], toks[fDayOfWeek]
	switch {
	case c.domMode == dayAny && c.dowMode == dayAny:
		return nil, p.cronErr(fDayOfWeek, dowTok,
			"? cannot be used in both day-of-month and day-of-week; use * in one of them, e.g. cron(0 3 * * ? *)")
	case c.domMode != dayAny && c.dowMode != dayAny:
		if c.fields[fDayOfWeek] == "*" {
			return nil, p.cronErr(fDayOfWeek, dowTok,
				"day-of-month and day-of-week cannot both be set; use ? in day-of-week when day-of-month is set")
		}
		if c.fields[fDayOfMonth] == "*" {
			return nil, p.cronErr(fDayOfMonth, domTok,
				"day-of-month and day-of-week cannot both be set; use ? in day-of-month when day-of-week is set")
		}
		return nil, p.cronErr(fDayOfWeek, dowTok,
			"day-of-month and day-of-week cannot both be set; use ? in one of them (? in day-of-week to keep day-of-month %s)",
			c.fields[fDayOfMonth])
	}
	return c, nil
}

func (p *parser) cronErr(i int, tok token, format string, args ...any) *Error {
	return p.fail("cron", fieldSpecs[i].name, i+1, tok.pos, tok.text, format, args...)
}

// parseCronField parses field i into c.
func (p *parser) parseCronField(c *Cron, i int, tok token) *Error {
	u := asciiUpper(tok.text)

	switch i {
	case fDayOfMonth:
		switch {
		case u == "?":
			c.domMode = dayAny
			return nil
		case u == "L":
			c.domMode = domLast
			return nil
		case u == "LW":
			c.domMode = domLastWeekday
			return nil
		case strings.HasSuffix(u, "W") && isDigits(u[:len(u)-1]):
			n := atoi(u[:len(u)-1])
			if n < 1 || n > 31 {
				return p.cronErr(i, tok, "day %s before W out of range 1-31", u[:len(u)-1])
			}
			c.domMode, c.domDay = domNearestWeekday, n
			return nil
		case strings.ContainsRune(u, 'W'):
			return p.cronErr(i, tok,
				"W must follow a single day and be the whole field, e.g. 15W (weekday nearest the 15th) or LW (last weekday of the month)")
		case strings.ContainsRune(u, 'L'):
			return p.cronErr(i, tok,
				"L must be the whole field: L is the last day of the month, LW the last weekday; it cannot be combined with other values")
		}
	case fDayOfWeek:
		switch {
		case u == "?":
			c.dowMode = dayAny
			return nil
		case u == "L": // L alone is Saturday.
			c.dowMode, c.dow = daySet, 1<<6
			return nil
		case strings.ContainsRune(u, '#'):
			return p.parseNth(c, i, tok, u)
		case strings.ContainsRune(u, 'L'):
			base := strings.TrimSuffix(u, "L")
			if strings.ContainsAny(base, ",-/*?L") || base == "" {
				return p.cronErr(i, tok,
					"L must be the whole field: L alone is Saturday and nL the last weekday n of the month (6L = last Friday); it cannot be combined with lists or ranges")
			}
			v, err := p.value(i, tok, base)
			if err != nil {
				return err
			}
			c.dowMode, c.dowDay = dowLast, v-1
			return nil
		}
	}

	var set bitset
	for off := 0; off <= len(u); {
		end := strings.IndexByte(u[off:], ',')
		if end < 0 {
			end = len(u)
		} else {
			end += off
		}
		item := u[off:end]
		if item == "" {
			return p.cronErr(i, tok, "empty list element; separate values with single commas, e.g. 1,15")
		}
		if err := p.parseItem(&set, i, tok, item); err != nil {
			return err
		}
		off = end + 1
	}

	switch i {
	case fMinutes:
		c.minutes = set[0]
	case fHours:
		c.hours = set[0]
	case fDayOfMonth:
		c.domMode, c.dom = daySet, set[0]<<1
	case fMonth:
		c.months = uint16(set[0] << 1)
	case fDayOfWeek:
		c.dowMode, c.dow = daySet, uint8(set[0])
	case fYear:
		c.years = set
	}
	return nil
}

// parseNth parses day-of-week n#k.
func (p *parser) parseNth(c *Cron, i int, tok token, u string) *Error {
	if strings.ContainsAny(u, ",-/*?L") || strings.Count(u, "#") != 1 {
		return p.cronErr(i, tok,
			"# must be the whole field, one n#k (3#2 = second Tuesday of the month); it cannot be combined with lists or ranges")
	}
	hash := strings.IndexByte(u, '#')
	v, err := p.value(i, tok, u[:hash])
	if err != nil {
		return err
	}
	k := u[hash+1:]
	if !isDigits(k) || atoi(k) < 1 || atoi(k) > 5 {
		return p.cronErr(i, tok,
			"the number after # must be 1-5 (the k-th such weekday of the month), e.g. 3#2 = second Tuesday")
	}
	c.dowMode, c.dowDay, c.dowNth = dowNth, v-1, atoi(k)
	return nil
}

// parseItem adds the values of one list element (*, a, a-b, with an
// optional /step) of field i to set, indexed by value minus the minimum.
func (p *parser) parseItem(set *bitset, i int, tok token, item string) *Error {
	spec := &fieldSpecs[i]
	base, stepText, hasStep := strings.Cut(item, "/")
	step := 1
	if hasStep {
		if !isDigits(stepText) {
			return p.cronErr(i, tok, "step %q after / must be a whole number, e.g. */5 or 0/15", stepText)
		}
		step = atoi(stepText)
		if limit := spec.max - spec.min + 1; step < 1 || step > limit {
			return p.cronErr(i, tok, "step %d out of range 1-%d", step, limit)
		}
	}

	var lo, hi int
	switch {
	case base == "*":
		lo, hi = spec.min, spec.max
	case base == "":
		return p.cronErr(i, tok, "missing value before /; write */%s or 0/%s", stepText, stepText)
	default:
		loText, hiText, isRange := strings.Cut(base, "-")
		switch {
		case isRange && loText == "":
			return p.cronErr(i, tok, "missing range start before -; write a range as start-end, e.g. %s", rangeExample(spec))
		case strings.Contains(hiText, "-"):
			return p.cronErr(i, tok, "a range has a single -, e.g. %s", rangeExample(spec))
		}
		var err *Error
		if lo, err = p.value(i, tok, loText); err != nil {
			return err
		}
		switch {
		case isRange:
			if hi, err = p.value(i, tok, hiText); err != nil {
				return err
			}
			if lo > hi {
				return p.cronErr(i, tok,
					"range %s-%s runs backwards; ranges must be ascending (for a range that wraps around, list two ranges, e.g. %s)",
					loText, hiText, wrapHint(spec, loText, hiText))
			}
		case hasStep:
			hi = spec.max
		default:
			hi = lo
		}
	}
	for v := lo; v <= hi; v += step {
		set.add(v - spec.min)
	}
	return nil
}

func rangeExample(spec *fieldSpec) string {
	if spec.names != nil {
		return spec.names[1] + "-" + spec.names[len(spec.names)-2]
	}
	return itoa(spec.min+1) + "-" + itoa(spec.min+5)
}

func wrapHint(spec *fieldSpec, lo, hi string) string {
	first, last := spec.min, spec.max
	f, l := itoa(first), itoa(last)
	if spec.names != nil {
		f, l = spec.names[0], spec.names[len(spec.names)-1]
	}
	return lo + "-" + l + "," + f + "-" + hi
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [12]byte
	i := len(b)
	for ; n > 0; n /= 10 {
		i--
		b[i] = byte('0' + n%10)
	}
	return string(b[i:])
}

// value parses a single value (a number or, for month and day-of-week, a
// name) of field i.
func (p *parser) value(i int, tok token, s string) (int, *Error) {
	spec := &fieldSpecs[i]
	if isDigits(s) {
		v := atoi(s)
		if v < spec.min || v > spec.max {
			what := "value"
			if s != tok.text {
				what = "value " + s
			}
			msg := what + " out of range " + itoa(spec.min) + "-" + itoa(spec.max)
			switch {
			case i == fDayOfWeek:
				msg += " (1 = SUN ... 7 = SAT; EventBridge does not use 0-6)"
			case i == fMonth:
				msg += " (or JAN-DEC)"
			}
			return 0, p.cronErr(i, tok, "%s", msg)
		}
		return v, nil
	}
	for j, name := range spec.names {
		if s == name {
			return spec.min + j, nil
		}
	}
	return 0, p.cronErr(i, tok, "%s", p.badValue(i, s))
}

// badValue explains why s is not a value of field i.
func (p *parser) badValue(i int, s string) string {
	spec := &fieldSpecs[i]
	expect := "expected a number " + itoa(spec.min) + "-" + itoa(spec.max)
	if spec.names != nil {
		expect += " or a name " + spec.names[0] + "-" + spec.names[len(spec.names)-1]
	}
	switch {
	case s == "":
		return "missing value; " + expect
	case s == "?" || strings.ContainsRune(s, '?'):
		if i == fDayOfMonth || i == fDayOfWeek {
			return "? must be the whole field"
		}
		return "? is only allowed in day-of-month and day-of-week; use * for every " + strings.TrimSuffix(spec.name, "s")
	case s == "*" || strings.ContainsRune(s, '*'):
		return "* must stand alone or before a step (*/5); it cannot be part of a range"
	case strings.ContainsRune(s, '#') && i != fDayOfWeek:
		return "# is only allowed in day-of-week (3#2 = second Tuesday); allowed here: " + spec.wildcard
	case s == "L" || s == "LW" || (strings.HasSuffix(s, "L") || strings.HasSuffix(s, "W")) && isDigits(s[:len(s)-1]):
		return "L and W are not allowed in " + spec.name + "; allowed here: " + spec.wildcard
	}
	return "invalid value " + quote(s) + "; " + expect
}

func quote(s string) string {
	return strconv.Quote(s)
}

// asciiUpper upper-cases ASCII letters only, so that no other character can
// turn into a name (strings.ToUpper maps U+017F to S).
func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
