// Package deploy holds Grantflow's deployment files and checks them offline (docs/DEPLOY.md):
//
//   - Dockerfile: one multi-stage image per component (build-arg SERVICE), static binaries
//     on distroless, with gfops for healthchecks
//   - compose.yaml: PostgreSQL, Redis, Jaeger, a migration per service, every service and
//     the gateway
//   - k8s/: Namespace, ConfigMap, Secret (placeholders), the migration Job, a Deployment,
//     Service, HorizontalPodAutoscaler and PodDisruptionBudget per component (kustomize)
//   - jaeger/local.yaml: the local Jaeger of `make jaeger`
//   - cmd/gfops: health probes and database creation for images, `make up` and the Job
//
// Its tests decode every Kubernetes manifest strictly into the API's own types and check
// probes, resources, security, selectors and secrets; load compose.yaml with compose-go
// (the library Docker Compose uses: schema, interpolation, merges); and check that the
// Dockerfile builds every component from the whole workspace.
package deploy
