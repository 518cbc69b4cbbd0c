// Package assets holds the console's static files, embedded in the binary:
// its stylesheet, its small script, and htmx, copied from the htmx.org npm
// package at a pinned version (see VENDOR.md; no CDN, no front-end build).
package assets

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

//go:embed static
var files embed.FS

// Mount serves the static files under /static/. Versioned files (htmx) are
// cached for a year; the console's own for an hour.
func Mount(e *gin.Engine) {
	sub, _ := fs.Sub(files, "static")
	fileServer := http.StripPrefix("/static/", http.FileServer(http.FS(sub)))
	e.GET("/static/*file", func(c *gin.Context) {
		if strings.HasPrefix(c.Param("file"), "/htmx-") {
			c.Header("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			c.Header("Cache-Control", "public, max-age=3600")
		}
		fileServer.ServeHTTP(c.Writer, c.Request)
	})
}
