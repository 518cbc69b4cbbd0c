package ports

import (
	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/services/service/internal/app"
	"github.com/closeloop/closeloop/services/service/internal/domain"
)

// ReportsHTTP serves the service managers' reports.
type ReportsHTTP struct {
	Reports *app.Reports
}

// Routes mounts the endpoints on the authenticated /v1 group.
func (h *ReportsHTTP) Routes(v1 *gin.RouterGroup) {
	v1.GET("/reports/service", h.service)
}

func (h *ReportsHTTP) service(c *gin.Context) {
	v, err := h.Reports.Service(c.Request.Context(), domain.ReportInput{From: c.Query("from"), To: c.Query("to"), Group: c.Query("group"),
		Team: c.Query("team"), Priority: c.Query("priority"), Type: c.Query("type")})
	respond(c, v, err)
}
