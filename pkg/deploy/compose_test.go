package deploy

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestComposeCmd(t *testing.T) {
	t.Parallel()
	got := composeCmd("xs-app", "/opt/xedgesim/xs-app", "up", "-d")
	want := "cd /opt/xedgesim/xs-app && if docker compose version >/dev/null 2>&1; then docker compose -p xs-app -f compose.yaml up -d; else docker-compose -p xs-app -f compose.yaml up -d; fi"
	if got != want {
		t.Errorf("composeCmd() =\n%s\nwant\n%s", got, want)
	}
}

func TestPinCompose(t *testing.T) {
	t.Parallel()
	labels := map[string]string{LabelDigest: "sha256:abc", LabelDeployID: "d1"}
	tests := []struct {
		name, in, want string
	}{
		{
			name: "no labels",
			in: `# the broker and its app
services:
  app:
    image: placeholder # replaced
    ports: ["8080:8080"]
  broker:
    image: r/broker@sha256:def
`,
			want: `# Written by xedgesim deploy d1: service app runs sha256:abc.
# the broker and its app
services:
  app:
    image: r/app@sha256:123 # replaced
    ports: ["8080:8080"]
    labels:
      xedgesim.deploy-id: "d1"
      xedgesim.digest: "sha256:abc"
  broker:
    image: r/broker@sha256:def
`,
		},
		{
			name: "label mapping, no image",
			in:   "services:\n  app:\n    labels: {team: edge, xedgesim.digest: old}\n",
			want: "# Written by xedgesim deploy d1: service app runs sha256:abc.\nservices:\n  app:\n    labels: {team: edge, xedgesim.digest: \"sha256:abc\", xedgesim.deploy-id: \"d1\"}\n    image: r/app@sha256:123\n",
		},
		{
			name: "label list",
			in:   "services:\n  app:\n    image: x\n    labels: [team=edge, xedgesim.deploy-id=old]\n",
			want: "# Written by xedgesim deploy d1: service app runs sha256:abc.\nservices:\n  app:\n    image: r/app@sha256:123\n    labels: [team=edge, \"xedgesim.deploy-id=d1\", \"xedgesim.digest=sha256:abc\"]\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := pinCompose([]byte(tc.in), "app", "r/app@sha256:123", labels)
			if err != nil {
				t.Fatalf("pinCompose() = %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("pinCompose() (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := pinCompose([]byte("services:\n  web: {image: x}\n"), "app", "r@sha256:1", labels); err == nil || !strings.Contains(err.Error(), `no service "app"`) {
		t.Errorf("pinCompose(no such service) = %v", err)
	}
}
