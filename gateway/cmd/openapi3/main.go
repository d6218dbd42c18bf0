// Command openapi3 writes the OpenAPI 3 document the gateway serves at /openapi.json (the
// merged Swagger 2 document of gen/openapi, converted by gateway.OpenAPI3). make web
// generates the console's typed client from it.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/grantflow/grantflow/gateway"
	"github.com/grantflow/grantflow/gen"
)

func main() {
	out := flag.String("o", "-", "where to write the document (- for standard output)")
	flag.Parse()
	doc, err := gateway.OpenAPI3(gen.OpenAPI)
	if err == nil {
		if *out == "-" {
			_, err = os.Stdout.Write(doc)
		} else {
			err = os.WriteFile(*out, doc, 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "openapi3:", err)
		os.Exit(1)
	}
}
