package schedule

import (
	"math/rand"
	"strings"
	"testing"
	"time"
)

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("bad time %q: %v", s, err)
	}
	return tm
}

// The expected times below are worked out by hand from the EventBridge
// documentation and a calendar; the comments give the reasoning.
var cronNextTests = []struct {
	expr  string
	after string
	want  string // "" means no next time
}{
	// Every day at 03:00.
	{"cron(0 3 * * ? *)", "2026-11-28T22:00:00Z", "2026-11-29T03:00:00Z"},
	{"cron(0 3 * * ? *)", "2026-11-29T02:59:59.999Z", "2026-11-29T03:00:00Z"},
	{"cron(0 3 * * ? *)", "2026-11-29T03:00:00Z", "2026-11-30T03:00:00Z"}, // strictly after
	{"cron(0 3 * * ? *)", "2026-11-29T03:00:00.5Z", "2026-11-30T03:00:00Z"},
	{"cron(0 3 * * ? *)", "2026-12-31T04:00:00Z", "2027-01-01T03:00:00Z"},
	{"0 3 * * ? *", "2026-11-28T22:00:00Z", "2026-11-29T03:00:00Z"}, // bare
	{"0 3 ? * * *", "2026-11-28T22:00:00Z", "2026-11-29T03:00:00Z"}, // * in day-of-week instead
	// A time in another zone is the same instant: 23:30+05:00 is 18:30Z.
	{"cron(0 3 * * ? *)", "2026-11-28T23:30:00+05:00", "2026-11-29T03:00:00Z"},

	// Every 15 minutes.
	{"cron(0/15 * * * ? *)", "2026-01-01T00:00:00Z", "2026-01-01T00:15:00Z"},
	{"cron(0/15 * * * ? *)", "2026-01-01T00:14:59Z", "2026-01-01T00:15:00Z"},
	{"cron(0/15 * * * ? *)", "2026-01-01T00:45:00Z", "2026-01-01T01:00:00Z"},
	{"cron(0/15 * * * ? *)", "2026-12-31T23:50:00Z", "2027-01-01T00:00:00Z"},
	{"cron(*/5 * * * ? *)", "2026-01-01T00:07:00Z", "2026-01-01T00:10:00Z"},
	{"cron(1/10 * * * ? *)", "2026-01-01T00:51:00Z", "2026-01-01T01:01:00Z"}, // 1,11,...,51
	{"cron(10-30/5 * * * ? *)", "2026-01-01T00:30:00Z", "2026-01-01T01:10:00Z"},
	{"cron(10-30/5 * * * ? *)", "2026-01-01T00:11:00Z", "2026-01-01T00:15:00Z"},
	{"cron(0 0/6 * * ? *)", "2026-01-01T06:00:00Z", "2026-01-01T12:00:00Z"},
	{"cron(0 9-17 * * ? *)", "2026-01-01T17:00:00Z", "2026-01-02T09:00:00Z"},
	{"cron(15,45 9,17 * * ? *)", "2026-01-01T09:45:00Z", "2026-01-01T17:15:00Z"},

	// Weekdays at noon. 2026-11-27 is a Friday, 2026-11-30 a Monday.
	{"cron(0 12 ? * MON-FRI *)", "2026-11-27T12:00:00Z", "2026-11-30T12:00:00Z"},
	{"cron(0 12 ? * MON-FRI *)", "2026-11-27T11:59:00Z", "2026-11-27T12:00:00Z"},
	{"cron(0 12 ? * 2-6 *)", "2026-11-27T12:00:00Z", "2026-11-30T12:00:00Z"},
	{"cron(0 12 ? * mon-fri *)", "2026-11-28T00:00:00Z", "2026-11-30T12:00:00Z"},
	// SUN is 1: 2026-11-29 is a Sunday.
	{"cron(0 12 ? * 1 *)", "2026-11-27T00:00:00Z", "2026-11-29T12:00:00Z"},
	{"cron(0 12 ? * SUN,SAT *)", "2026-11-27T00:00:00Z", "2026-11-28T12:00:00Z"},
	// L alone in day-of-week is Saturday (every Saturday).
	{"cron(0 0 ? * L *)", "2026-11-25T00:00:00Z", "2026-11-28T00:00:00Z"},
	{"cron(0 0 ? * L *)", "2026-11-28T00:00:00Z", "2026-12-05T00:00:00Z"},
	// */2 in day-of-week is 1,3,5,7: SUN, TUE, THU, SAT. 2026-11-26 is Thursday.
	{"cron(0 0 ? * */2 *)", "2026-11-25T00:00:00Z", "2026-11-26T00:00:00Z"},
	{"cron(0 0 ? * */2 *)", "2026-11-26T00:00:00Z", "2026-11-28T00:00:00Z"},

	// Last day of the month.
	{"cron(0 8 L * ? *)", "2026-02-01T00:00:00Z", "2026-02-28T08:00:00Z"},
	{"cron(0 8 L * ? *)", "2028-02-01T00:00:00Z", "2028-02-29T08:00:00Z"},
	{"cron(0 8 L * ? *)", "2026-04-30T08:00:00Z", "2026-05-31T08:00:00Z"},
	{"cron(0 8 L * ? *)", "2026-04-29T23:00:00Z", "2026-04-30T08:00:00Z"},

	// Last weekday of the month. 2026-01-31 is a Saturday -> Friday 30th;
	// 2026-05-31 a Sunday -> Friday 29th; 2026-03-31 a Tuesday.
	{"cron(0 8 LW * ? *)", "2026-01-01T00:00:00Z", "2026-01-30T08:00:00Z"},
	{"cron(0 8 LW * ? *)", "2026-01-30T08:00:00Z", "2026-02-27T08:00:00Z"}, // Feb 28 is a Saturday
	{"cron(0 8 LW * ? *)", "2026-03-01T00:00:00Z", "2026-03-31T08:00:00Z"},
	{"cron(0 8 LW * ? *)", "2026-05-01T00:00:00Z", "2026-05-29T08:00:00Z"},

	// Weekday nearest the 15th. 2026-02-15 and 2026-03-15 are Sundays ->
	// Monday 16th; 2026-08-15 is a Saturday -> Friday 14th; 2026-09-15 is a
	// Tuesday.
	{"cron(0 8 15W * ? *)", "2026-02-01T00:00:00Z", "2026-02-16T08:00:00Z"},
	{"cron(0 8 15W * ? *)", "2026-03-01T00:00:00Z", "2026-03-16T08:00:00Z"},
	{"cron(0 8 15W * ? *)", "2026-08-01T00:00:00Z", "2026-08-14T08:00:00Z"},
	{"cron(0 8 15W * ? *)", "2026-08-14T08:00:00Z", "2026-09-15T08:00:00Z"},
	{"cron(0 8 15W * ? *)", "2027-05-01T00:00:00Z", "2027-05-14T08:00:00Z"}, // 2027-05-15 is a Saturday
	// Not across month boundaries: 2026-08-01 is a Saturday, so 1W is
	// Monday the 3rd, not Friday July 31st.
	{"cron(0 8 1W * ? *)", "2026-07-31T00:00:00Z", "2026-08-03T08:00:00Z"},
	// 2026-05-31 is a Sunday, so 31W is Friday the 29th, not Monday June 1st.
	{"cron(0 8 31W * ? *)", "2026-05-01T00:00:00Z", "2026-05-29T08:00:00Z"},
	// April has no 31st: 31W does not fire in April.
	{"cron(0 8 31W * ? *)", "2026-04-01T00:00:00Z", "2026-05-29T08:00:00Z"},
	// 1W in a month whose 1st is a weekday (2026-09-01 is a Tuesday).
	{"cron(0 8 1W * ? *)", "2026-08-03T08:00:00Z", "2026-09-01T08:00:00Z"},

	// Last Friday of the month: 2026-01-30, 2026-02-27, 2026-07-31.
	{"cron(0 10 ? * 6L *)", "2026-01-01T00:00:00Z", "2026-01-30T10:00:00Z"},
	{"cron(0 10 ? * 6L *)", "2026-01-30T10:00:00Z", "2026-02-27T10:00:00Z"},
	{"cron(0 10 ? * FRIL *)", "2026-07-01T00:00:00Z", "2026-07-31T10:00:00Z"},
	// Last Saturday: 2026-10-31 is a Saturday.
	{"cron(0 10 ? * 7L *)", "2026-10-01T00:00:00Z", "2026-10-31T10:00:00Z"},

	// Second Tuesday: 2026-01-13, 2026-02-10.
	{"cron(0 10 ? * 3#2 *)", "2026-01-01T00:00:00Z", "2026-01-13T10:00:00Z"},
	{"cron(0 10 ? * 3#2 *)", "2026-01-13T10:00:00Z", "2026-02-10T10:00:00Z"},
	{"cron(0 10 ? * TUE#2 *)", "2026-01-13T09:59:00Z", "2026-01-13T10:00:00Z"},
	// Fifth Tuesday exists only in some months: 2026-03-31 is the first.
	{"cron(0 10 ? * 3#5 *)", "2026-01-01T00:00:00Z", "2026-03-31T10:00:00Z"},
	{"cron(0 10 ? * 3#5 *)", "2026-03-31T10:00:00Z", "2026-06-30T10:00:00Z"},
	// First Sunday: 2026-11-01 is a Sunday.
	{"cron(0 10 ? * 1#1 *)", "2026-10-05T00:00:00Z", "2026-11-01T10:00:00Z"},

	// February 29th: leap years only; 2100 is not a leap year.
	{"cron(0 0 29 2 ? *)", "2026-01-01T00:00:00Z", "2028-02-29T00:00:00Z"},
	{"cron(0 0 29 2 ? *)", "2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"},
	{"cron(0 0 29 FEB ? *)", "2096-03-01T00:00:00Z", "2104-02-29T00:00:00Z"},

	// Year field.
	{"cron(0 0 1 1 ? 2027)", "2026-06-01T00:00:00Z", "2027-01-01T00:00:00Z"},
	{"cron(0 0 1 1 ? 2027)", "2027-01-01T00:00:00Z", ""},
	{"cron(0 0 1 1 ? 2027)", "2030-01-01T00:00:00Z", ""},
	{"cron(30 9 1,15 JAN-MAR/2 ? 2026-2027)", "2026-03-15T09:30:00Z", "2027-01-01T09:30:00Z"},
	{"cron(30 9 1,15 JAN-MAR/2 ? 2026-2027)", "2027-03-15T09:30:00Z", ""},
	{"cron(0 0 1 1 ? 2026/4)", "2026-06-01T00:00:00Z", "2030-01-01T00:00:00Z"},
	{"cron(0 0 1 1 ? 2199)", "2198-06-01T00:00:00Z", "2199-01-01T00:00:00Z"},
	{"cron(0 0 1 1 ? 2199)", "2199-01-01T00:00:00Z", ""},
	{"cron(59 23 31 12 ? *)", "2199-12-31T23:58:00Z", "2199-12-31T23:59:00Z"},
	{"cron(59 23 31 12 ? *)", "2199-12-31T23:59:00Z", ""},
	{"cron(0 0 * * ? *)", "2300-01-01T00:00:00Z", ""},
	// Before 1970 the first fire time is in 1970.
	{"cron(0 0 1 1 ? *)", "1900-01-01T00:00:00Z", "1970-01-01T00:00:00Z"},
	{"cron(0 0 1 1 ? *)", "1969-12-31T23:59:59Z", "1970-01-01T00:00:00Z"},

	// Never fires: February 30th, April 31st, a 6th Monday.
	{"cron(0 0 30 2 ? *)", "2026-01-01T00:00:00Z", ""},
	{"cron(0 0 31 APR ? *)", "2026-01-01T00:00:00Z", ""},
	// February has a fifth Monday only in a leap year whose February 1st is
	// a Monday: after 2026 that is 2044.
	{"cron(0 0 ? FEB 2#5 *)", "2026-01-01T00:00:00Z", "2044-02-29T00:00:00Z"},
}

func TestCronNext(t *testing.T) {
	for _, tt := range cronNextTests {
		s, err := Parse(tt.expr)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.expr, err)
			continue
		}
		after := mustTime(t, tt.after)
		got, ok := s.Next(after)
		switch {
		case tt.want == "" && ok:
			t.Errorf("%s.Next(%s) = %s, want none", tt.expr, tt.after, got.Format(time.RFC3339))
		case tt.want != "" && !ok:
			t.Errorf("%s.Next(%s) = none, want %s", tt.expr, tt.after, tt.want)
		case tt.want != "" && !got.Equal(mustTime(t, tt.want)):
			t.Errorf("%s.Next(%s) = %s, want %s", tt.expr, tt.after, got.Format(time.RFC3339), tt.want)
		case ok && got.Location() != time.UTC:
			t.Errorf("%s.Next(%s) = %s, not in UTC", tt.expr, tt.after, got)
		}
	}
}

func TestCronNextSequence(t *testing.T) {
	tests := []struct {
		expr  string
		after string
		want  []string
	}{
		{"cron(0 8 15W * ? 2026)", "2026-01-01T00:00:00Z", []string{
			"2026-01-15T08:00:00Z", // Thursday
			"2026-02-16T08:00:00Z", // 15th is a Sunday
			"2026-03-16T08:00:00Z", // Sunday
			"2026-04-15T08:00:00Z", // Wednesday
			"2026-05-15T08:00:00Z", // Friday
			"2026-06-15T08:00:00Z", // Monday
			"2026-07-15T08:00:00Z", // Wednesday
			"2026-08-14T08:00:00Z", // Saturday
			"2026-09-15T08:00:00Z", // Tuesday
			"2026-10-15T08:00:00Z", // Thursday
			"2026-11-16T08:00:00Z", // Sunday
			"2026-12-15T08:00:00Z", // Tuesday
		}},
		{"cron(0 10 ? * 6L 2026)", "2026-01-01T00:00:00Z", []string{
			"2026-01-30T10:00:00Z", "2026-02-27T10:00:00Z", "2026-03-27T10:00:00Z",
			"2026-04-24T10:00:00Z", "2026-05-29T10:00:00Z", "2026-06-26T10:00:00Z",
			"2026-07-31T10:00:00Z", "2026-08-28T10:00:00Z", "2026-09-25T10:00:00Z",
			"2026-10-30T10:00:00Z", "2026-11-27T10:00:00Z", "2026-12-25T10:00:00Z",
		}},
		{"cron(0 10 ? * 3#2 2026)", "2026-01-01T00:00:00Z", []string{
			"2026-01-13T10:00:00Z", "2026-02-10T10:00:00Z", "2026-03-10T10:00:00Z",
			"2026-04-14T10:00:00Z", "2026-05-12T10:00:00Z", "2026-06-09T10:00:00Z",
			"2026-07-14T10:00:00Z", "2026-08-11T10:00:00Z", "2026-09-08T10:00:00Z",
			"2026-10-13T10:00:00Z", "2026-11-10T10:00:00Z", "2026-12-08T10:00:00Z",
		}},
		{"cron(0 0 29 2 ? *)", "2090-01-01T00:00:00Z", []string{
			"2092-02-29T00:00:00Z", "2096-02-29T00:00:00Z", "2104-02-29T00:00:00Z", "2108-02-29T00:00:00Z",
		}},
		{"cron(0/20 23 31 DEC ? 2026-2027)", "2026-12-31T22:00:00Z", []string{
			"2026-12-31T23:00:00Z", "2026-12-31T23:20:00Z", "2026-12-31T23:40:00Z",
			"2027-12-31T23:00:00Z", "2027-12-31T23:20:00Z", "2027-12-31T23:40:00Z",
		}},
	}
	for _, tt := range tests {
		s := MustParse(tt.expr)
		at := mustTime(t, tt.after)
		for i, w := range tt.want {
			got, ok := s.Next(at)
			if !ok || !got.Equal(mustTime(t, w)) {
				t.Errorf("%s: fire %d = %s %v, want %s", tt.expr, i, got.Format(time.RFC3339), ok, w)
				break
			}
			at = got
		}
	}
	// The year-bounded ones end.
	if got, ok := MustParse("cron(0 10 ? * 3#2 2026)").Next(mustTime(t, "2026-12-08T10:00:00Z")); ok {
		t.Errorf("cron(0 10 ? * 3#2 2026) fires after its last time, at %s", got)
	}
}

func TestCronNeverFiresQuickly(t *testing.T) {
	for _, expr := range []string{
		"cron(0 0 30 2 ? *)",
		"cron(0 0 31 4,6,9,11 ? *)",
		"cron(0 0 31W 2 ? *)",
		"cron(0 0 ? 2 2#5 2026-2043)",
	} {
		s := MustParse(expr)
		start := time.Now()
		for i := 0; i < 100; i++ {
			if got, ok := s.Next(time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)); ok {
				t.Fatalf("%s fires at %s", expr, got)
			}
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s: 100 fruitless Next calls took %s", expr, d)
		}
	}
}

// refMatch reports whether c fires at minute t, working out the special
// day-of-month and day-of-week forms independently of dayMask, by walking
// the calendar.
func refMatch(c *Cron, t time.Time) bool {
	y, m, d := t.Date()
	if t.Second() != 0 || t.Nanosecond() != 0 ||
		y < MinYear || y > MaxYear || !c.years.has(y-MinYear) ||
		c.months&(1<<uint(m)) == 0 || c.hours&(1<<uint(t.Hour())) == 0 || c.minutes&(1<<uint(t.Minute())) == 0 {
		return false
	}
	date := func(day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }
	lastDay := date(1).AddDate(0, 1, -1).Day()
	weekend := func(day int) bool { w := date(day).Weekday(); return w == time.Saturday || w == time.Sunday }
	wd := int(t.Weekday()) // 0 = Sunday
	switch c.domMode {
	case daySet:
		return c.dom&(1<<uint(d)) != 0
	case domLast:
		return d == lastDay
	case domLastWeekday:
		// The last day of the month that is not a weekend day.
		l := lastDay
		for weekend(l) {
			l--
		}
		return d == l
	case domNearestWeekday:
		n := c.domDay
		if n > lastDay {
			return false
		}
		if !weekend(n) {
			return d == n
		}
		// The closest weekday within the month, preferring the earlier on a tie.
		best := -1
		for day := 1; day <= lastDay; day++ {
			if weekend(day) {
				continue
			}
			if best < 0 || abs(day-n) < abs(best-n) {
				best = day
			}
		}
		return d == best
	}
	switch c.dowMode {
	case daySet:
		return c.dow&(1<<uint(wd)) != 0
	case dowLast:
		return wd == c.dowDay && d+7 > lastDay
	case dowNth:
		return wd == c.dowDay && (d-1)/7+1 == c.dowNth
	}
	return false
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// refNext finds the next fire time minute by minute, up to limit minutes.
func refNext(c *Cron, after time.Time, limit int) (time.Time, bool) {
	t := after.UTC().Truncate(time.Minute).Add(time.Minute)
	for i := 0; i < limit; i++ {
		if refMatch(c, t) {
			return t, true
		}
		t = t.Add(time.Minute)
	}
	return time.Time{}, false
}

// randomCron builds a random valid expression from the grammar.
func randomCron(r *rand.Rand) string {
	pick := func(xs ...string) string { return xs[r.Intn(len(xs))] }
	num := func(lo, hi int) int { return lo + r.Intn(hi-lo+1) }
	generic := func(lo, hi int) string {
		var items []string
		for n := 1 + r.Intn(3); n > 0; n-- {
			a := num(lo, hi)
			b := num(a, hi)
			switch r.Intn(5) {
			case 0:
				items = append(items, "*")
			case 1:
				items = append(items, itoa(a))
			case 2:
				items = append(items, itoa(a)+"-"+itoa(b))
			case 3:
				items = append(items, itoa(a)+"/"+itoa(num(1, hi-lo+1)))
			default:
				items = append(items, itoa(a)+"-"+itoa(b)+"/"+itoa(num(1, 5)))
			}
		}
		return strings.Join(items, ",")
	}
	dom, dow := "?", "?"
	if r.Intn(2) == 0 {
		switch r.Intn(4) {
		case 0:
			dom = pick("L", "LW")
		case 1:
			dom = itoa(num(1, 31)) + "W"
		default:
			dom = generic(1, 31)
		}
	} else {
		switch r.Intn(4) {
		case 0:
			dow = pick("L", itoa(num(1, 7))+"L")
		case 1:
			dow = itoa(num(1, 7)) + "#" + itoa(num(1, 5))
		default:
			dow = generic(1, 7)
		}
	}
	return strings.Join([]string{
		generic(0, 59), generic(0, 23), dom, generic(1, 12), dow, pick("*", "*", "2026-2030", "2027", "2026/2"),
	}, " ")
}

// TestCronNextMatchesReference compares Next with a minute-by-minute
// search for random expressions and times.
func TestCronNextMatchesReference(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	n := 400
	if testing.Short() {
		n = 50
	}
	const window = 3 * 31 * 24 * 60 // a quarter, in minutes
	compared := 0
	defer func() {
		// Most random expressions fire within a quarter; make sure the
		// comparison was not vacuous.
		if compared < n/2 {
			t.Errorf("only %d of %d expressions fired within the window", compared, n)
		}
	}()
	for i := 0; i < n; i++ {
		expr := randomCron(r)
		s, err := Parse(expr)
		if err != nil {
			t.Fatalf("Parse(%q): %v", expr, err)
		}
		c := s.(*Cron)
		after := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.Int63n(int64(4 * 365 * 24 * time.Hour))))
		after = after.Add(-time.Duration(r.Intn(2)) * time.Duration(after.Second()) * time.Second)
		want, wok := refNext(c, after, window)
		got, gok := c.Next(after)
		if !wok {
			// Nothing in the window: Next must not report a time inside it.
			if gok && got.Sub(after) <= window*time.Minute {
				t.Errorf("%s.Next(%s) = %s; reference finds nothing in the window", expr, after.Format(time.RFC3339), got.Format(time.RFC3339))
			}
			continue
		}
		compared++
		if !gok || !got.Equal(want) {
			t.Errorf("%s.Next(%s) = %s %v; reference %s", expr, after.Format(time.RFC3339), got.Format(time.RFC3339), gok, want.Format(time.RFC3339))
		}
	}
}

func TestCronString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"cron(0 3 * * ? *)", "cron(0 3 * * ? *)"},
		{"0 3 * * ? *", "cron(0 3 * * ? *)"},
		{"  cron(0   12 ?\t* mon-fri *)  ", "cron(0 12 ? * MON-FRI *)"},
		{"0 10 ? * fril *", "cron(0 10 ? * FRIL *)"},
		{"0 8 lw jan,jul ? 2026-2030", "cron(0 8 LW JAN,JUL ? 2026-2030)"},
		{"cron( 0 3 * * ? * )", "cron(0 3 * * ? *)"},
	}
	for _, tt := range tests {
		s, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got := s.String(); got != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
		if s.Every() != 0 {
			t.Errorf("Parse(%q).Every() = %s, want 0", tt.in, s.Every())
		}
		if _, ok := s.(*Cron); !ok {
			t.Errorf("Parse(%q) is a %T, want *Cron", tt.in, s)
		}
	}
	if got := MustParse("0 8 15w * ? *").(*Cron).Fields(); got != [6]string{"0", "8", "15W", "*", "?", "*"} {
		t.Errorf("Fields() = %q", got)
	}
}

func BenchmarkNext(b *testing.B) {
	for _, expr := range []string{
		"cron(0 3 * * ? *)",
		"cron(0/15 * * * ? *)",
		"cron(0 12 ? * MON-FRI *)",
		"cron(0 8 LW * ? *)",
		"cron(0 10 ? * 6L *)",
		"cron(0 0 29 2 ? *)",
		"cron(0 0 30 2 ? *)", // never fires: scans every month up to 2199
		"rate(5 minutes)",
	} {
		s := MustParse(expr)
		after := time.Date(2026, 11, 28, 22, 0, 0, 0, time.UTC)
		b.Run(expr, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s.Next(after)
			}
		})
	}
}
