package build

import "runtime/debug"

var debugBuildInfo = debug.BuildInfo{
	GoVersion: "go1.26.8",
	Path:      "example.com/app",
	Main:      debug.Module{Path: "example.com/app", Version: "(devel)"},
	Deps: []*debug.Module{
		{Path: "github.com/google/go-cmp", Version: "v0.7.0", Sum: "h1:X0ag3SHl5u3w8KaOgbvrvFKhzuwVNXl/FVvaT4ODO3Y="},
	},
	Settings: []debug.BuildSetting{{Key: "GOARCH", Value: "arm64"}},
}
