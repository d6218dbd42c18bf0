package deploy

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// The components and what each deployment must carry.
var (
	services   = []string{"audit", "identity", "notification", "policy", "request", "review", "task"}
	components = append(slices.Clone(services), "gateway")
)

// object is one manifest document, decoded strictly into its type.
type object struct {
	file, kind, name string
	obj              any
}

func newObject(kind string) (any, bool) {
	switch kind {
	case "Namespace":
		return &corev1.Namespace{}, true
	case "ConfigMap":
		return &corev1.ConfigMap{}, true
	case "Secret":
		return &corev1.Secret{}, true
	case "Service":
		return &corev1.Service{}, true
	case "Deployment":
		return &appsv1.Deployment{}, true
	case "Job":
		return &batchv1.Job{}, true
	case "HorizontalPodAutoscaler":
		return &autoscalingv2.HorizontalPodAutoscaler{}, true
	case "PodDisruptionBudget":
		return &policyv1.PodDisruptionBudget{}, true
	}
	return nil, false
}

// wantAPIVersion is the one API version each kind is written in.
var wantAPIVersion = map[string]string{
	"Namespace": "v1", "ConfigMap": "v1", "Secret": "v1", "Service": "v1",
	"Deployment": "apps/v1", "Job": "batch/v1",
	"HorizontalPodAutoscaler": "autoscaling/v2", "PodDisruptionBudget": "policy/v1",
}

func loadManifests(t *testing.T) []object {
	t.Helper()
	files, err := filepath.Glob("k8s/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in k8s/: %v", err)
	}
	var objs []object
	for _, file := range files {
		if filepath.Base(file) == "kustomization.yaml" {
			continue
		}
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		r := k8syaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(raw)))
		for {
			doc, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if len(bytes.TrimSpace(stripComments(doc))) == 0 {
				continue
			}
			var head struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
				Metadata   struct {
					Name      string `json:"name"`
					Namespace string `json:"namespace"`
				} `json:"metadata"`
			}
			if err := yaml.Unmarshal(doc, &head); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			obj, ok := newObject(head.Kind)
			if !ok {
				t.Fatalf("%s: kind %q is not one this test knows: add it to newObject", file, head.Kind)
			}
			if want := wantAPIVersion[head.Kind]; head.APIVersion != want {
				t.Errorf("%s: %s/%s: apiVersion %q, want %q", file, head.Kind, head.Metadata.Name, head.APIVersion, want)
			}
			// Strict: an unknown or misspelt field (a probe under the wrong key, say) fails.
			if err := yaml.UnmarshalStrict(doc, obj); err != nil {
				t.Errorf("%s: %s/%s: %v", file, head.Kind, head.Metadata.Name, err)
				continue
			}
			if head.Metadata.Name == "" {
				t.Errorf("%s: a %s without a name", file, head.Kind)
			}
			if head.Kind != "Namespace" && head.Metadata.Namespace != "grantflow" {
				t.Errorf("%s: %s/%s: namespace %q, want grantflow", file, head.Kind, head.Metadata.Name, head.Metadata.Namespace)
			}
			objs = append(objs, object{file: file, kind: head.Kind, name: head.Metadata.Name, obj: obj})
		}
	}
	return objs
}

func stripComments(doc []byte) []byte {
	var out []byte
	for _, line := range bytes.Split(doc, []byte("\n")) {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' {
			out = append(out, line...)
			out = append(out, '\n')
		}
	}
	return out
}

func byKind[T any](objs []object, kind string) map[string]T {
	m := map[string]T{}
	for _, o := range objs {
		if o.kind == kind {
			m[o.name] = *(o.obj.(*T))
		}
	}
	return m
}

func TestKubernetesManifests(t *testing.T) {
	objs := loadManifests(t)
	deployments := byKind[appsv1.Deployment](objs, "Deployment")
	svcs := byKind[corev1.Service](objs, "Service")
	hpas := byKind[autoscalingv2.HorizontalPodAutoscaler](objs, "HorizontalPodAutoscaler")
	pdbs := byKind[policyv1.PodDisruptionBudget](objs, "PodDisruptionBudget")
	jobs := byKind[batchv1.Job](objs, "Job")
	configMaps := byKind[corev1.ConfigMap](objs, "ConfigMap")
	secrets := byKind[corev1.Secret](objs, "Secret")

	if len(byKind[corev1.Namespace](objs, "Namespace")) != 1 {
		t.Error("want exactly one Namespace")
	}
	cfg, ok := configMaps["grantflow-config"]
	if !ok {
		t.Fatal("no ConfigMap grantflow-config")
	}
	secret, ok := secrets["grantflow-secrets"]
	if !ok {
		t.Fatal("no Secret grantflow-secrets")
	}
	for _, k := range []string{"GRANTFLOW_INTERNAL_SECRET", "GRANTFLOW_BOOTSTRAP_ADMIN_KEY", "GRANTFLOW_AUDIT_SIGNING_KEY", "GRANTFLOW_POSTGRES_URL", "GRANTFLOW_SECRETS_KEY"} {
		v, ok := secret.StringData[k]
		if !ok {
			t.Errorf("Secret: no %s", k)
			continue
		}
		// Placeholders must be visibly placeholders, and must not pass the services'
		// validation (a forgotten one stops the pods instead of running with it).
		if !strings.Contains(v, "CHANGE-ME") {
			t.Errorf("Secret: %s=%q is not a CHANGE-ME placeholder: real secrets do not belong in the repository", k, v)
		}
	}
	if n := len(secret.StringData["GRANTFLOW_INTERNAL_SECRET"]); n >= 32 {
		t.Errorf("Secret: the internal secret placeholder is %d bytes: keep it under 32 so the services refuse it", n)
	}
	for _, s := range services {
		if got, want := cfg.Data["GRANTFLOW_"+strings.ToUpper(s)+"_ADDR"], s+":9090"; got != want {
			t.Errorf("ConfigMap: GRANTFLOW_%s_ADDR=%q, want %q", strings.ToUpper(s), got, want)
		}
	}

	for _, name := range components {
		d, ok := deployments[name]
		if !ok {
			t.Errorf("no Deployment %s", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			checkDeployment(t, d, name, cfg, secret)
			checkService(t, svcs, d, name)
			if h, ok := hpas[name]; !ok {
				t.Errorf("no HorizontalPodAutoscaler %s", name)
			} else {
				if h.Spec.ScaleTargetRef.Kind != "Deployment" || h.Spec.ScaleTargetRef.Name != name || h.Spec.ScaleTargetRef.APIVersion != "apps/v1" {
					t.Errorf("HPA targets %+v", h.Spec.ScaleTargetRef)
				}
				if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 1 || h.Spec.MaxReplicas < *h.Spec.MinReplicas || len(h.Spec.Metrics) == 0 {
					t.Errorf("HPA min %v max %d metrics %d", h.Spec.MinReplicas, h.Spec.MaxReplicas, len(h.Spec.Metrics))
				}
			}
			if p, ok := pdbs[name]; !ok {
				t.Errorf("no PodDisruptionBudget %s", name)
			} else if !selects(p.Spec.Selector.MatchLabels, d.Spec.Template.Labels) {
				t.Errorf("PDB selector %v does not select the pods %v", p.Spec.Selector.MatchLabels, d.Spec.Template.Labels)
			}
		})
	}
	for name := range deployments {
		if !slices.Contains(components, name) {
			t.Errorf("Deployment %s is not a Grantflow component", name)
		}
	}

	job, ok := jobs["grantflow-migrate"]
	if !ok {
		t.Fatal("no Job grantflow-migrate")
	}
	spec := job.Spec.Template.Spec
	if spec.RestartPolicy != corev1.RestartPolicyNever && spec.RestartPolicy != corev1.RestartPolicyOnFailure {
		t.Errorf("migrate Job restartPolicy %q", spec.RestartPolicy)
	}
	migrated := map[string]bool{}
	for _, c := range append(slices.Clone(spec.InitContainers), spec.Containers...) {
		checkResources(t, "migrate Job "+c.Name, c)
		checkSecurity(t, "migrate Job "+c.Name, spec.SecurityContext, c)
		if slices.Equal(c.Args, []string{"migrate"}) {
			svc := strings.TrimPrefix(c.Name, "migrate-")
			if !strings.HasPrefix(c.Image, "grantflow/"+svc+":") {
				t.Errorf("migrate Job: container %s runs image %s", c.Name, c.Image)
			}
			migrated[svc] = true
		}
	}
	for _, s := range services {
		if !migrated[s] {
			t.Errorf("migrate Job does not migrate %s", s)
		}
	}
}

func checkDeployment(t *testing.T, d appsv1.Deployment, name string, cfg corev1.ConfigMap, secret corev1.Secret) {
	t.Helper()
	if !selects(d.Spec.Selector.MatchLabels, d.Spec.Template.Labels) {
		t.Errorf("selector %v does not select the template's labels %v", d.Spec.Selector.MatchLabels, d.Spec.Template.Labels)
	}
	spec := d.Spec.Template.Spec
	if len(spec.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(spec.Containers))
	}
	c := spec.Containers[0]
	if !strings.HasPrefix(c.Image, "grantflow/"+name+":") {
		t.Errorf("image %q, want grantflow/%s:TAG", c.Image, name)
	}
	for probeName, p := range map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe} {
		if p == nil {
			t.Errorf("no %s probe", probeName)
			continue
		}
		if name == "gateway" {
			want := map[string]string{"readiness": "/readyz", "liveness": "/healthz"}[probeName]
			if p.HTTPGet == nil || p.HTTPGet.Path != want || !portNamed(c, p.HTTPGet.Port.String(), 8080) {
				t.Errorf("%s probe: want GET %s on 8080, got %+v", probeName, want, p.ProbeHandler)
			}
		} else if p.GRPC == nil || p.GRPC.Port != 9090 {
			t.Errorf("%s probe: want gRPC health on 9090, got %+v", probeName, p.ProbeHandler)
		}
	}
	checkResources(t, name, c)
	checkSecurity(t, name, spec.SecurityContext, c)
	if spec.TerminationGracePeriodSeconds == nil || *spec.TerminationGracePeriodSeconds <= 15 {
		t.Errorf("terminationGracePeriodSeconds must exceed GRANTFLOW_SHUTDOWN_TIMEOUT (15s)")
	}

	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	fromConfig := false
	for _, ef := range c.EnvFrom {
		if ef.ConfigMapRef != nil && ef.ConfigMapRef.Name == cfg.Name {
			fromConfig = true
		}
		if ef.SecretRef != nil {
			t.Errorf("envFrom a whole Secret: name the keys a component needs instead")
		}
	}
	if !fromConfig {
		t.Errorf("does not take its settings from ConfigMap %s", cfg.Name)
	}
	need := []string{"GRANTFLOW_INTERNAL_SECRET"}
	if name != "gateway" {
		need = append(need, "GRANTFLOW_POSTGRES_URL")
	}
	switch name {
	case "identity":
		need = append(need, "GRANTFLOW_BOOTSTRAP_ADMIN_KEY", "GRANTFLOW_SECRETS_KEY")
	case "notification":
		need = append(need, "GRANTFLOW_SECRETS_KEY")
	case "audit":
		need = append(need, "GRANTFLOW_AUDIT_SIGNING_KEY")
	}
	for _, k := range need {
		e, ok := env[k]
		if !ok {
			t.Errorf("no %s", k)
			continue
		}
		ref := e.ValueFrom
		if ref == nil || ref.SecretKeyRef == nil || ref.SecretKeyRef.Name != secret.Name {
			t.Errorf("%s does not come from Secret %s", k, secret.Name)
		} else if _, ok := secret.StringData[ref.SecretKeyRef.Key]; !ok {
			t.Errorf("%s refers to key %s that the Secret lacks", k, ref.SecretKeyRef.Key)
		}
	}
	if _, ok := env["GRANTFLOW_BOOTSTRAP_ADMIN_KEY"]; ok && name != "identity" {
		t.Errorf("only identity may see the bootstrap admin key")
	}
}

func checkService(t *testing.T, svcs map[string]corev1.Service, d appsv1.Deployment, name string) {
	t.Helper()
	s, ok := svcs[name]
	if !ok {
		t.Errorf("no Service %s", name)
		return
	}
	if !selects(s.Spec.Selector, d.Spec.Template.Labels) {
		t.Errorf("Service selector %v does not select the pods %v", s.Spec.Selector, d.Spec.Template.Labels)
	}
	c := d.Spec.Template.Spec.Containers[0]
	for _, p := range s.Spec.Ports {
		if !portNamed(c, p.TargetPort.String(), -1) {
			t.Errorf("Service port %s targets %s, which the container does not declare", p.Name, p.TargetPort.String())
		}
		if name != "gateway" && p.Port != 9090 {
			t.Errorf("Service port %d: GRANTFLOW_%s_ADDR says %s:9090", p.Port, strings.ToUpper(name), name)
		}
	}
}

// portNamed: the container declares port (a name or a number), and it is want (-1: any).
func portNamed(c corev1.Container, port string, want int32) bool {
	for _, p := range c.Ports {
		if p.Name == port || fmt.Sprint(p.ContainerPort) == port {
			return want < 0 || p.ContainerPort == want
		}
	}
	return false
}

func checkResources(t *testing.T, what string, c corev1.Container) {
	t.Helper()
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, okReq := c.Resources.Requests[r]
		lim, okLim := c.Resources.Limits[r]
		if !okReq || !okLim {
			t.Errorf("%s: %s request and limit are both required", what, r)
			continue
		}
		if req.Cmp(lim) > 0 {
			t.Errorf("%s: %s request %s above limit %s", what, r, req.String(), lim.String())
		}
	}
}

func checkSecurity(t *testing.T, what string, pod *corev1.PodSecurityContext, c corev1.Container) {
	t.Helper()
	if pod == nil || pod.RunAsNonRoot == nil || !*pod.RunAsNonRoot {
		t.Errorf("%s: pod must set runAsNonRoot", what)
	}
	sc := c.SecurityContext
	if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, corev1.Capability("ALL")) {
		t.Errorf("%s: container must forbid privilege escalation, mount its root read-only and drop ALL capabilities", what)
	}
}

func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// TestKustomizationListsEveryManifest: kubectl apply -k applies only what is listed.
func TestKustomizationListsEveryManifest(t *testing.T) {
	raw, err := os.ReadFile("k8s/kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		Resources []string `json:"resources"`
		Images    []struct {
			Name string `json:"name"`
		} `json:"images"`
	}
	if err := yaml.Unmarshal(raw, &k); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("k8s/*.yaml")
	var want []string
	for _, f := range files {
		if b := filepath.Base(f); b != "kustomization.yaml" {
			want = append(want, b)
		}
	}
	got := slices.Clone(k.Resources)
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("kustomization resources %v, files %v", got, want)
	}
	var images []string
	for _, i := range k.Images {
		images = append(images, i.Name)
	}
	for _, c := range components {
		if !slices.Contains(images, "grantflow/"+c) {
			t.Errorf("kustomization images: no entry for grantflow/%s", c)
		}
	}
}

// TestCompose loads compose.yaml as Docker Compose does (schema validation, interpolation,
// YAML merges) and checks what Grantflow needs from it.
func TestCompose(t *testing.T) {
	env := []string{
		"GRANTFLOW_INTERNAL_SECRET=" + strings.Repeat("s", 32),
		"GRANTFLOW_BOOTSTRAP_ADMIN_KEY=" + strings.Repeat("k", 16),
		"GRANTFLOW_SECRETS_KEY=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
	}
	opts, err := cli.NewProjectOptions([]string{"compose.yaml"},
		cli.WithEnv(env), cli.WithName("grantflow"), cli.WithWorkingDirectory("."),
		cli.WithResolvedPaths(true), cli.WithInterpolation(true))
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("compose.yaml does not load: %v", err)
	}

	for _, name := range []string{"postgres", "redis", "jaeger"} {
		if _, ok := p.Services[name]; !ok {
			t.Errorf("no %s service", name)
		}
	}
	for _, name := range []string{"postgres", "redis"} {
		if s := p.Services[name]; s.HealthCheck == nil || len(s.HealthCheck.Test) == 0 {
			t.Errorf("%s: no healthcheck (the services wait for it)", name)
		}
	}
	for _, name := range components {
		s, ok := p.Services[name]
		if !ok {
			t.Errorf("no %s service", name)
			continue
		}
		t.Run(name, func(t *testing.T) { checkComposeService(t, p, s) })
	}
}

func checkComposeService(t *testing.T, p *types.Project, s types.ServiceConfig) {
	name := s.Name
	if s.Build == nil || s.Build.Dockerfile != "deploy/Dockerfile" || s.Build.Args["SERVICE"] == nil || *s.Build.Args["SERVICE"] != name {
		t.Errorf("build: want deploy/Dockerfile with SERVICE=%s, got %+v", name, s.Build)
	} else if filepath.Base(s.Build.Context) != filepath.Base(filepath.Dir(mustAbs(t, "."))) {
		t.Errorf("build context %s: want the repository root", s.Build.Context)
	}
	if s.HealthCheck == nil || len(s.HealthCheck.Test) < 2 {
		t.Fatalf("no healthcheck")
	}
	test := strings.Join(s.HealthCheck.Test, " ")
	if name == "gateway" {
		if !strings.Contains(test, "/app/gfops http-ok http://127.0.0.1:8080/readyz") {
			t.Errorf("healthcheck %q: want gfops http-ok on /readyz", test)
		}
	} else if !strings.Contains(test, "/app/gfops grpc-health 127.0.0.1:9090") {
		t.Errorf("healthcheck %q: want gfops grpc-health on 9090", test)
	}
	get := func(k string) string {
		if v := s.Environment[k]; v != nil {
			return *v
		}
		return ""
	}
	if len(get("GRANTFLOW_INTERNAL_SECRET")) < 32 {
		t.Errorf("GRANTFLOW_INTERNAL_SECRET not passed")
	}
	for _, svc := range services {
		if got, want := get("GRANTFLOW_"+strings.ToUpper(svc)+"_ADDR"), svc+":9090"; got != want {
			t.Errorf("GRANTFLOW_%s_ADDR=%q, want %q", strings.ToUpper(svc), got, want)
		}
	}
	if name == "identity" && get("GRANTFLOW_BOOTSTRAP_ADMIN_KEY") == "" {
		t.Errorf("identity gets no bootstrap admin key")
	}
	if name != "identity" && get("GRANTFLOW_BOOTSTRAP_ADMIN_KEY") != "" {
		t.Errorf("only identity may see the bootstrap admin key")
	}
	if name == "gateway" {
		for _, svc := range services {
			if d, ok := s.DependsOn[svc]; !ok || d.Condition != types.ServiceConditionHealthy {
				t.Errorf("gateway does not wait for %s to be healthy", svc)
			}
		}
		return
	}
	if !strings.HasPrefix(get("GRANTFLOW_POSTGRES_URL"), "postgres://") {
		t.Errorf("GRANTFLOW_POSTGRES_URL=%q", get("GRANTFLOW_POSTGRES_URL"))
	}
	m, ok := p.Services[name+"-migrate"]
	if !ok {
		t.Fatalf("no %s-migrate service", name)
	}
	if !slices.Equal([]string(m.Command), []string{"migrate"}) || m.Image != s.Image {
		t.Errorf("%s-migrate: command %v image %s, want [migrate] on %s", name, m.Command, m.Image, s.Image)
	}
	if d, ok := m.DependsOn["postgres"]; !ok || d.Condition != types.ServiceConditionHealthy {
		t.Errorf("%s-migrate does not wait for a healthy postgres", name)
	}
	if d, ok := s.DependsOn[name+"-migrate"]; !ok || d.Condition != types.ServiceConditionCompletedSuccessfully {
		t.Errorf("%s does not wait for its migration to complete", name)
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestDockerfile: the image builds every component, and its ignore file keeps every module
// of the workspace in the build context.
func TestDockerfile(t *testing.T) {
	raw, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(raw)
	for _, c := range services {
		if !strings.Contains(df, "|"+c) && !strings.Contains(df, c+"|") {
			t.Errorf("Dockerfile: SERVICE=%s is not in the build's case", c)
		}
	}
	for _, want := range []string{"gateway) pkg=./gateway/cmd/gateway", "./services/${SERVICE}/cmd/${SERVICE}", "./deploy/cmd/gfops", "CGO_ENABLED=0", `ENTRYPOINT ["/app/service"]`, "USER nonroot"} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}

	ignore, err := os.ReadFile("Dockerfile.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	work, err := os.ReadFile("../go.work")
	if err != nil {
		t.Fatal(err)
	}
	needed := []string{"go.work", "go.work.sum", "deploy/cmd/gfops/main.go", "deploy/go.mod"}
	for _, line := range strings.Split(string(work), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "./") {
			needed = append(needed, strings.TrimPrefix(line, "./")+"/go.mod")
		}
	}
	for _, pat := range strings.Split(string(ignore), "\n") {
		pat = strings.TrimSpace(pat)
		if pat == "" || strings.HasPrefix(pat, "#") || strings.HasPrefix(pat, "!") {
			continue
		}
		for _, n := range needed {
			if ok, _ := filepath.Match(pat, n); ok || strings.HasPrefix(n, strings.TrimSuffix(pat, "/")+"/") {
				t.Errorf("Dockerfile.dockerignore: %q drops %s, which the build needs", pat, n)
			}
		}
	}
}
