package catalog_test

import (
	"fmt"

	"github.com/aloft-run/aloft/catalog"
	"github.com/aloft-run/aloft/orchestrator"
)

func ExampleKey() {
	task := &orchestrator.TaskTemplate{
		Name: "train",
		Inputs: []orchestrator.Param{
			{Name: "data", Type: orchestrator.Type{Kind: orchestrator.KindFile}},
			{Name: "rounds", Type: orchestrator.Type{Kind: orchestrator.KindInt}},
		},
		Outputs: []orchestrator.Param{{Name: "model", Type: orchestrator.Type{Kind: orchestrator.KindFile}}},
		Cache:   &orchestrator.CachePolicy{Version: "1"},
	}
	data := orchestrator.Blob{
		URI:    "s3://bucket/incoming/diabetes.csv",
		Digest: "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
	}
	key, err := catalog.Key("default", "development", task, map[string]orchestrator.Literal{
		"data":   orchestrator.File(data),
		"rounds": orchestrator.Int(100),
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(key)

	// The same bytes somewhere else give the same key.
	data.URI = "file:///home/me/diabetes.csv"
	moved, _ := catalog.Key("default", "development", task, map[string]orchestrator.Literal{
		"data":   orchestrator.File(data),
		"rounds": orchestrator.Int(100),
	})
	fmt.Println(moved == key)
	// Output:
	// sha256:8bfc448bf800e8806d25b31586e58edc4a492666ddc7878dc1fbae8070db0f44
	// true
}

func ExamplePreimage() {
	task := &orchestrator.TaskTemplate{
		Name:    "square",
		Inputs:  []orchestrator.Param{{Name: "x", Type: orchestrator.Type{Kind: orchestrator.KindFloat}}},
		Outputs: []orchestrator.Param{{Name: "y", Type: orchestrator.Type{Kind: orchestrator.KindFloat}}},
		Cache:   &orchestrator.CachePolicy{Version: "v2"},
	}
	// An int bound to a float input keys as the float it becomes.
	pre, err := catalog.Preimage("default", "development", task, map[string]orchestrator.Literal{"x": orchestrator.Int(3)})
	if err != nil {
		panic(err)
	}
	fmt.Println(string(pre))
	fmt.Println(orchestrator.Float(3).Hash())
	// Output:
	// {"cache_version":"v2","domain":"development","format":1,"inputs":{"x":"sha256:81edae03da479640edf72e843c52f95105c493bbf4304543bc07c2ba6488e9f7"},"interface":{"inputs":{"x":"float"},"outputs":{"y":"float"}},"project":"default","task":"square"}
	// sha256:81edae03da479640edf72e843c52f95105c493bbf4304543bc07c2ba6488e9f7
}
