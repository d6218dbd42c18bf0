package notification

import "github.com/grantflow/grantflow/services/notification/internal/app"

// App exposes the application layer to the package's benchmarks.
func App(s *Service) *app.Service { return s.app }
