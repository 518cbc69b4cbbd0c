package service

import (
	platform "github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/services/service/internal/app"
	"github.com/closeloop/closeloop/services/service/internal/ports"
)

// SetNoticeWorkflows replaces, for the tests of this package, where Setup
// gets the notices' readers from (noticeWorkflows): a user directory of the
// tests instead of the customer service's.
func SetNoticeWorkflows(f func(d *platform.Deps, n *app.Notices) app.NoticeWorkflows) {
	noticeWorkflows = func(d *platform.Deps, n *app.Notices, _ *ports.PeopleAPI) app.NoticeWorkflows { return f(d, n) }
}

// UseDirectoryForNotices makes the stacks set up until restore is called
// resolve notices' readers as production does (ports.NoticeReaders, the
// customer service's directory) and chase them through the workflow engine.
func UseDirectoryForNotices() (restore func()) {
	saved := noticeWorkflows
	noticeWorkflows = func(d *platform.Deps, n *app.Notices, people *ports.PeopleAPI) app.NoticeWorkflows {
		return ports.NoticeWorkflows{NoticeReaders: ports.NoticeReaders{People: people, Org: n.Org, Notices: n},
			NoticeChases: ports.NoticeChases{Client: d.Temporal}}
	}
	return func() { noticeWorkflows = saved }
}
