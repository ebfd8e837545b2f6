package schedule

import (
	"errors"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		expr  string
		field string
		index int
		pos   int
		msg   string // a substring of Error()
	}{
		// The message in full, as a validator shows it.
		{"cron(0 3 32 * ? *)", "day-of-month", 3, 9, `cron field 3 (day-of-month) "32": value out of range 1-31`},
		// Pos counts from the start of the string as given.
		{"0 3 32 * ? *", "day-of-month", 3, 4, `cron field 3 (day-of-month) "32": value out of range 1-31`},
		{"  cron(0 3 32 * ? *)", "day-of-month", 3, 11, `value out of range 1-31`},
		{"cron(0  3\t32 * ? *)", "day-of-month", 3, 10, `value out of range 1-31`},

		// Day-of-month versus day-of-week.
		{"cron(0 3 * * * *)", "day-of-week", 5, 13, `use ? in day-of-week when day-of-month is set`},
		{"cron(0 12 * * MON-FRI *)", "day-of-month", 3, 10, `use ? in day-of-month when day-of-week is set`},
		{"cron(0 12 1 * MON *)", "day-of-week", 5, 14, `cannot both be set; use ? in one of them`},
		{"cron(0 3 ? * ? *)", "day-of-week", 5, 13, `? cannot be used in both day-of-month and day-of-week`},

		// Field counts.
		{"cron(0 3 * * ?)", "expression", 0, 14, `has 6 fields (minutes hours day-of-month month day-of-week year), got 5; EventBridge cron has a year field`},
		{"0 3 * * ?", "expression", 0, 9, `got 5`},
		{"cron(0 0 * * ? * *)", "expression", 0, 17, `got 7`},
		{"cron()", "expression", 0, 5, `got 0`},
		{"cron( )", "expression", 0, 6, `got 0`},

		// Ranges of values.
		{"cron(60 * * * ? *)", "minutes", 1, 5, `cron field 1 (minutes) "60": value out of range 0-59`},
		{"cron(1,2,99 * * * ? *)", "minutes", 1, 5, `"1,2,99": value 99 out of range 0-59`},
		{"cron(0 24 * * ? *)", "hours", 2, 7, `value out of range 0-23`},
		{"cron(0 0 0 * ? *)", "day-of-month", 3, 9, `value out of range 1-31`},
		{"cron(0 0 * 13 ? *)", "month", 4, 11, `value out of range 1-12 (or JAN-DEC)`},
		{"cron(0 0 * 0 ? *)", "month", 4, 11, `value out of range 1-12`},
		{"cron(0 0 ? * 0 *)", "day-of-week", 5, 13, `value out of range 1-7 (1 = SUN ... 7 = SAT; EventBridge does not use 0-6)`},
		{"cron(0 0 ? * 8 *)", "day-of-week", 5, 13, `value out of range 1-7`},
		{"cron(0 0 * * ? 1969)", "year", 6, 15, `value out of range 1970-2199`},
		{"cron(0 0 * * ? 2026-2200)", "year", 6, 15, `value 2200 out of range 1970-2199`},
		{"cron(99999999999999999999 0 * * ? *)", "minutes", 1, 5, `value out of range 0-59`},

		// Wildcards in the wrong place or form.
		{"cron(0 ? * * ? *)", "hours", 2, 7, `? is only allowed in day-of-month and day-of-week; use * for every hour`},
		{"cron(? 0 * * ? *)", "minutes", 1, 5, `use * for every minute`},
		{"cron(0 0 1,? * ? *)", "day-of-month", 3, 9, `? must be the whole field`},
		{"cron(0 L * * ? *)", "hours", 2, 7, `L and W are not allowed in hours`},
		{"cron(0 0 * * ? L)", "year", 6, 15, `L and W are not allowed in year`},
		{"cron(0 0 # * ? *)", "day-of-month", 3, 9, `# is only allowed in day-of-week`},
		{"cron(0 0 * 1#2 ? *)", "month", 4, 11, `# is only allowed in day-of-week`},
		{"cron(0 0 L-3 * ? *)", "day-of-month", 3, 9, `L must be the whole field`},
		{"cron(0 0 1,L * ? *)", "day-of-month", 3, 9, `L must be the whole field`},
		{"cron(0 0 5L * ? *)", "day-of-month", 3, 9, `L must be the whole field`},
		{"cron(0 0 15W,1 * ? *)", "day-of-month", 3, 9, `W must follow a single day`},
		{"cron(0 0 1-15W * ? *)", "day-of-month", 3, 9, `W must follow a single day`},
		{"cron(0 0 W * ? *)", "day-of-month", 3, 9, `W must follow a single day`},
		{"cron(0 0 32W * ? *)", "day-of-month", 3, 9, `day 32 before W out of range 1-31`},
		{"cron(0 0 0W * ? *)", "day-of-month", 3, 9, `day 0 before W out of range 1-31`},
		{"cron(0 0 ? * 2W *)", "day-of-week", 5, 13, `L and W are not allowed in day-of-week`},
		{"cron(0 0 ? * LW *)", "day-of-week", 5, 13, `L must be the whole field`},
		{"cron(0 0 ? * 6L,2 *)", "day-of-week", 5, 13, `6L = last Friday); it cannot be combined with lists or ranges`},
		{"cron(0 0 ? * 2-6L *)", "day-of-week", 5, 13, `cannot be combined with lists or ranges`},
		{"cron(0 0 ? * 0L *)", "day-of-week", 5, 13, `value 0 out of range 1-7`},
		{"cron(0 0 ? * 3#6 *)", "day-of-week", 5, 13, `the number after # must be 1-5`},
		{"cron(0 0 ? * 3#0 *)", "day-of-week", 5, 13, `the number after # must be 1-5`},
		{"cron(0 0 ? * 3# *)", "day-of-week", 5, 13, `the number after # must be 1-5`},
		{"cron(0 0 ? * 3#1,6#3 *)", "day-of-week", 5, 13, `# must be the whole field, one n#k`},
		{"cron(0 0 ? * 8#1 *)", "day-of-week", 5, 13, `value 8 out of range 1-7`},
		{"cron(0 0 ? * XYZ#1 *)", "day-of-week", 5, 13, `invalid value "XYZ"; expected a number 1-7 or a name SUN-SAT`},

		// Lists, ranges and steps.
		{"cron(*/0 * * * ? *)", "minutes", 1, 5, `step 0 out of range 1-60`},
		{"cron(0/61 * * * ? *)", "minutes", 1, 5, `step 61 out of range 1-60`},
		{"cron(0 0 ? * 1/8 *)", "day-of-week", 5, 13, `step 8 out of range 1-7`},
		{"cron(5/ * * * ? *)", "minutes", 1, 5, `step "" after / must be a whole number`},
		{"cron(5/x * * * ? *)", "minutes", 1, 5, `after / must be a whole number`},
		{"cron(/5 * * * ? *)", "minutes", 1, 5, `missing value before /; write */5 or 0/5`},
		{"cron(1/2/3 * * * ? *)", "minutes", 1, 5, `after / must be a whole number`},
		{"cron(30-10 * * * ? *)", "minutes", 1, 5, `range 30-10 runs backwards; ranges must be ascending`},
		{"cron(0 22-2 * * ? *)", "hours", 2, 7, `list two ranges, e.g. 22-23,0-2`},
		{"cron(0 0 ? * FRI-MON *)", "day-of-week", 5, 13, `e.g. FRI-SAT,SUN-MON`},
		{"cron(0 0 1 DEC-JAN ? *)", "month", 4, 11, `e.g. DEC-DEC,JAN-JAN`},
		{"cron(1,,2 * * * ? *)", "minutes", 1, 5, `empty list element`},
		{"cron(1, * * * ? *)", "minutes", 1, 5, `empty list element`},
		{"cron(,1 * * * ? *)", "minutes", 1, 5, `empty list element`},
		{"cron(*-5 * * * ? *)", "minutes", 1, 5, `* must stand alone or before a step`},
		{"cron(1-2-3 * * * ? *)", "minutes", 1, 5, `a range has a single -`},
		{"cron(-1 * * * ? *)", "minutes", 1, 5, `missing range start before -`},
		{"cron(5- * * * ? *)", "minutes", 1, 5, `missing value; expected a number 0-59`},

		// Names.
		{"cron(0 0 * FOO ? *)", "month", 4, 11, `invalid value "FOO"; expected a number 1-12 or a name JAN-DEC`},
		{"cron(0 0 ? * FOO *)", "day-of-week", 5, 13, `expected a number 1-7 or a name SUN-SAT`},
		{"cron(0 0 ? * MONDAY *)", "day-of-week", 5, 13, `invalid value "MONDAY"`},
		{"cron(JAN 0 * * ? *)", "minutes", 1, 5, `invalid value "JAN"; expected a number 0-59`},
		{"cron(0 0 1 MON ? *)", "month", 4, 11, `invalid value "MON"`},
		// A non-ASCII letter that upper-cases to S is not a name.
		{"cron(0 0 ? * \u017fUN *)", "day-of-week", 5, 13, `invalid value`},

		// The wrapper.
		{"cron(0 3 * * ? *", "expression", 0, 16, `missing closing ); write cron(...)`},
		{"cron(0 3 * * ? *) x", "expression", 0, 18, `unexpected text "x" after the closing )`},
		{"cron(0 3 * * ? *))", "expression", 0, 17, `unexpected text ")"`},
		{"Cron(0 3 * * ? *)", "expression", 0, 0, `write cron(...) in lower case`},
		{"CRON(0 3 * * ? *)", "expression", 0, 0, `write cron(...) in lower case`},
		{" cron (0 3 * * ? *)", "expression", 0, 1, `with no space before the (`},
		{"RATE(5 minutes)", "expression", 0, 0, `write rate(...) in lower case`},
		{"", "expression", 0, 0, `empty schedule expression; use cron(...) or rate(...)`},
		{"   ", "expression", 0, 0, `empty schedule expression`},
		{"every day", "expression", 0, 0, `not a schedule expression`},
		// Pos counts runes: é is two bytes but one column.
		{"cron(é 3 * * ? *", "expression", 0, 16, `missing closing )`},
		{"cron(é 3 * * ? *)", "minutes", 1, 5, `invalid value "é"`},

		// Rates.
		{"rate(1 days)", "unit", 0, 7, `rate unit "days": use the singular "day" when the value is 1: rate(1 day)`},
		{"rate(5 minute)", "unit", 0, 7, `rate unit "minute": use the plural "minutes" when the value is greater than 1: rate(5 minutes)`},
		{"rate(1 hours)", "unit", 0, 7, `rate(1 hour)`},
		{"rate(2 day)", "unit", 0, 7, `rate(2 days)`},
		{"rate(1 minutes)", "unit", 0, 7, `rate(1 minute)`},
		{"rate(0 minutes)", "value", 0, 5, `rate value "0": value must be a positive whole number`},
		{"rate(-5 minutes)", "value", 0, 5, `must be a positive whole number`},
		{"rate(+5 minutes)", "value", 0, 5, `must be a positive whole number`},
		{"rate(1.5 hours)", "value", 0, 5, `must be a positive whole number`},
		{"rate(5 weeks)", "unit", 0, 7, `unit must be minute(s), hour(s) or day(s) in lower case`},
		{"rate(5 Minutes)", "unit", 0, 7, `in lower case`},
		{"rate(5 secs)", "unit", 0, 7, `unit must be`},
		{"rate(5)", "expression", 0, 6, `a rate expression has 2 parts, a value and a unit, got 1`},
		{"rate()", "expression", 0, 5, `got 0`},
		{"rate(5 minutes now)", "expression", 0, 15, `got 3`},
		{"rate(5 minutes", "expression", 0, 14, `missing closing ); write rate(...)`},
		{"rate(200000 days)", "value", 0, 5, `value too large`},
		{"rate(99999999999999999999 minutes)", "value", 0, 5, `value too large`},
		{"1 days", "unit", 0, 2, `use the singular "day"`},
		{"5 minute", "unit", 0, 2, `use the plural "minutes"`},
		{"  0 minutes", "value", 0, 2, `positive whole number`},
	}
	for _, tt := range tests {
		s, err := Parse(tt.expr)
		if err == nil {
			t.Errorf("Parse(%q) = %s, want an error", tt.expr, s)
			continue
		}
		var pe *Error
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%q) error is a %T, want *Error", tt.expr, err)
			continue
		}
		if pe.Field != tt.field || pe.Index != tt.index || pe.Pos != tt.pos {
			t.Errorf("Parse(%q): Field %q Index %d Pos %d, want %q %d %d (%v)",
				tt.expr, pe.Field, pe.Index, pe.Pos, tt.field, tt.index, tt.pos, err)
		}
		if !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("Parse(%q) error\n\t%s\ndoes not contain\n\t%s", tt.expr, err, tt.msg)
		}
		if pe.Msg == "" || !strings.Contains(err.Error(), pe.Msg) {
			t.Errorf("Parse(%q): Msg %q not in %q", tt.expr, pe.Msg, err)
		}
	}
}

// TestErrorPosPointsAtField checks, for cron field errors, that Pos is the
// column of the first character of the field text.
func TestErrorPosPointsAtField(t *testing.T) {
	for _, expr := range []string{
		"cron(61 * * * ? *)", "cron(0 25 * * ? *)", "cron(0 0 40 * ? *)", "cron(0 0 * 13 ? *)",
		"cron(0 0 ? * 9 *)", "cron(0 0 * * ? 3000)", "\t cron(0   0   * 13 ? *)", "0 0 * * ? 1900",
	} {
		_, err := Parse(expr)
		var pe *Error
		if !errors.As(err, &pe) || pe.Index == 0 {
			t.Errorf("Parse(%q) = %v, want a cron field error", expr, err)
			continue
		}
		if got := expr[pe.Pos : pe.Pos+len(pe.Text)]; got != pe.Text {
			t.Errorf("Parse(%q): expr[Pos:] starts %q, want the field %q", expr, got, pe.Text)
		}
	}
}

func TestMustParsePanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil {
			t.Errorf("MustParse of a bad expression did not panic")
		}
	}()
	MustParse("cron(0 3 32 * ? *)")
}

func TestErrorString(t *testing.T) {
	for _, tt := range []struct {
		err  Error
		want string
	}{
		{Error{Kind: "cron", Field: "day-of-month", Index: 3, Text: "32", Msg: "value out of range 1-31"},
			`cron field 3 (day-of-month) "32": value out of range 1-31`},
		{Error{Kind: "rate", Field: "unit", Text: "days", Msg: "m"}, `rate unit "days": m`},
		{Error{Field: "expression", Text: "x y", Msg: "m"}, `schedule expression "x y": m`},
	} {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}
