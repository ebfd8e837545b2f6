package schedule

import (
	"fmt"
	"testing"
)

func TestDumpErrors(t *testing.T) {
	for _, e := range []string{
		"", "   ", "cron(0 3 32 * ? *)", "0 3 32 * ? *", "  cron(0 3 32 * ? *)", "cron(0 3 * * * *)", "cron(0 12 * * MON-FRI *)",
		"cron(0 12 1 * MON *)", "cron(0 3 ? * ? *)", "cron(0 3 * * ?)", "0 3 * * ?", "cron(0 0 * * ? * *)", "cron(60 * * * ? *)",
		"cron(1,2,99 * * * ? *)", "cron(0 24 * * ? *)", "cron(0 0 * 13 ? *)", "cron(0 0 * 0 ? *)", "cron(0 0 ? * 0 *)", "cron(0 0 ? * 8 *)",
		"cron(0 0 * * ? 1969)", "cron(0 0 * * ? 2200)", "cron(0 0 L-3 * ? *)", "cron(0 0 1,L * ? *)", "cron(0 0 15W,1 * ? *)",
		"cron(0 0 32W * ? *)", "cron(0 0 W * ? *)", "cron(0 0 5L * ? *)", "cron(0 0 ? * 3#6 *)", "cron(0 0 ? * 3#1,6#3 *)", "cron(0 0 ? * 8#1 *)",
		"cron(0 0 ? * 6L,2 *)", "cron(0 0 ? * 2W *)", "cron(0 0 ? * LW *)", "cron(0 0 ? * 0L *)", "cron(*/0 * * * ? *)", "cron(0/61 * * * ? *)",
		"cron(30-10 * * * ? *)", "cron(0 22-2 * * ? *)", "cron(0 0 ? * FRI-MON *)", "cron(0 ? * * ? *)", "cron(0 L * * ? *)", "cron(1,,2 * * * ? *)",
		"cron(1, * * * ? *)", "cron(0 0 * FOO ? *)", "cron(0 0 ? * FOO *)", "cron(JAN 0 * * ? *)", "cron(0 0 # * ? *)", "cron(0 0 * * ? L)",
		"cron(*-5 * * * ? *)", "cron(/5 * * * ? *)", "cron(5/ * * * ? *)", "cron(5/x * * * ? *)", "cron(1-2-3 * * * ? *)", "cron(-1 * * * ? *)",
		"cron(0 3 * * ? *", "cron(0 3 * * ? *) x", "Cron(0 3 * * ? *)", "cron (0 3 * * ? *)", "CRON(0 3 * * ? *)", "cron()", "cron(é 3 * * ? *",
		"rate(1 days)", "rate(5 minute)", "rate(1 hours)", "rate(2 day)", "rate(0 minutes)", "rate(-5 minutes)", "rate(+5 minutes)", "rate(5 weeks)",
		"rate(5 Minutes)", "rate(5)", "rate()", "rate(5 minutes now)", "1 days", "5 minute", "Rate(5 minutes)", "rate(99999999999999999999 days)",
		"rate(200000 days)", "every day", "0 3 * * ? * )", "cron(0 3 * * ? *))",
	} {
		_, err := Parse(e)
		if err == nil {
			fmt.Printf("%-30q OK\n", e)
			continue
		}
		pe := err.(*Error)
		fmt.Printf("%-30q pos=%d %s\n", e, pe.Pos, err)
	}
}
