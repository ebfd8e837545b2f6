package orchestrator

import "testing"

func TestGenProbe(t *testing.T) {
	bad := 0
	for seed := uint64(0); seed < 3000; seed++ {
		size := 3 + int(seed%25)
		if seed%100 == 0 { size = 300 }
		gs := generateSpec(seed, size)
		s, err := Parse("gen.yaml", []byte(gs.yaml))
		if err != nil {
			bad++
			if bad < 3 { t.Errorf("seed %d: %v\n%s", seed, err, gs.yaml) }
			continue
		}
		c, err := Compile(s, "main")
		if err != nil { t.Fatal(err) }
		if _, err := ResolveInputs(c, gs.given); err != nil { t.Errorf("seed %d inputs: %v", seed, err) }
		if seed%500 == 0 { t.Logf("seed %d: %d nodes", seed, len(c.Nodes)) }
	}
	t.Logf("bad %d", bad)
}
