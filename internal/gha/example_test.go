package gha_test

import (
	"fmt"
	"os"

	"github.com/xedgesim/simulate/internal/gha"
)

// env stands in for the process environment of a step.
func env(m map[string]string) gha.Option {
	return gha.WithGetenv(func(k string) string { return m[k] })
}

func ExampleRunner_Error() {
	r, err := gha.New(env(map[string]string{"GITHUB_ACTIONS": "true"}), gha.WithWriter(os.Stdout))
	if err != nil {
		fmt.Println(err)
		return
	}
	r.Error("unknown field \"sensros\"; did you mean \"sensors\"?", gha.Annotation{File: "scenarios/m0.yaml", Line: 12, Col: 3})
	// Output:
	// ::error col=3,file=scenarios/m0.yaml,line=12::unknown field "sensros"; did you mean "sensors"?
}

func ExampleRunner_Error_local() {
	r, err := gha.New(env(nil), gha.WithStderr(os.Stdout))
	if err != nil {
		fmt.Println(err)
		return
	}
	r.Error("unknown field \"sensros\"", gha.Annotation{File: "scenarios/m0.yaml", Line: 12, Col: 3})
	// Output:
	// scenarios/m0.yaml:12:3: error: unknown field "sensros"
}

func ExampleRunner_SetOutput_local() {
	// Without GITHUB_OUTPUT the output is printed instead of lost.
	r, err := gha.New(env(nil), gha.WithWriter(os.Stdout))
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := r.SetOutput("digest", "sha256:9f86d081884c7d65"); err != nil {
		fmt.Println(err)
	}
	// Output:
	// digest=sha256:9f86d081884c7d65
}

func ExampleRunner_BoolInput() {
	r, err := gha.New(env(map[string]string{"INPUT_DRY-RUN": "yes"}))
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := r.BoolInput("dry-run", false); err != nil {
		fmt.Println(err)
	}
	// Output:
	// input "dry-run": "yes" is not a boolean; write true or false
}
