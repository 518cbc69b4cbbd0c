package board

import (
	"net/url"
	"strconv"

	"github.com/closeloop/closeloop/services/web/internal/view"
)

// The board's URLs are built here, whole: html/template would escape the
// '&' and '=' of a query string inserted after a '?' in a template.

// boardURL is path with q as its query.
func boardURL(path string, q url.Values) string {
	if s := q.Encode(); s != "" {
		return path + "?" + s
	}
	return path
}

// Link is the board with the current filter changed by kv (name, value
// pairs; "" removes a filter), on its first page.
func (b *boardData) Link(kv ...string) string {
	q := b.Filter.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			q.Del(kv[i])
		} else {
			q.Set(kv[i], kv[i+1])
		}
	}
	return boardURL("/board", q)
}

// NextURL is the board's next page.
func (b *boardData) NextURL() string {
	q := b.Filter.Query()
	q.Set("cursor", b.Next)
	return boardURL("/board", q)
}

// ListURL is the list part the page polls: the same filter and page.
func (b *boardData) ListURL() string {
	q := b.Filter.Query()
	if b.Cursor != "" {
		q.Set("cursor", b.Cursor)
	}
	return boardURL("/board/list", q)
}

// CountsURL is the counts part the page polls, with the total it shows
// (seen), so the answer announces a change only.
func (b *boardData) CountsURL() string {
	q := b.Filter.Query()
	if b.Counts != nil {
		q.Set("seen", strconv.Itoa(b.Counts.Total))
	}
	return boardURL("/board/counts", q)
}

// ItemURL is one follow-up's panel, which returns to this filter.
func (b *boardData) ItemURL(id string) string {
	return boardURL("/board/items/"+url.PathEscape(id), b.Filter.Query())
}

// ActionURL is where a form of the item posts to.
func (it *itemData) ActionURL(action string) string {
	return boardURL("/board/items/"+url.PathEscape(it.Row.ID)+"/"+action, it.back)
}

// BackURL is the board with the filter the user came from.
func (it *itemData) BackURL() string { return boardURL("/board", it.back) }

// doneURL is the board after an action, saying what was done.
func (it *itemData) doneURL(outcome string) string {
	q := url.Values{}
	for k, v := range it.back {
		q[k] = v
	}
	q.Set("done", outcome)
	return boardURL("/board", q)
}

// Name is an owner's name from the directory, else their id.
func (b *boardData) Name(id string) string {
	if n := b.Names[id]; n != "" {
		return n
	}
	return id
}

// Person is a user's name from the directory, else their id.
func (it *itemData) Person(id string) string {
	if n := it.Names[id]; n != "" {
		return n
	}
	return id
}

// OwnerLabel is the owner's name and id.
func (it *itemData) OwnerLabel() string {
	if n := it.Names[it.Row.Owner]; n != "" {
		return n + " (" + it.Row.Owner + ")"
	}
	return it.Row.Owner
}

// GroupLabel heads a group of rows: what they share, and how many of the
// page's rows it holds.
func (b *boardData) GroupLabel(g Group) string {
	name := g.Key
	switch {
	case g.Key == "":
		name = b.T("board.group.unset")
	case b.Filter.Group == "owner":
		name = b.Name(g.Key)
	case b.Filter.Group == "kind":
		name = b.T("board.kind." + g.Key)
	case b.Filter.Group == "lateness":
		name = b.T("board.bucket." + g.Key)
	}
	return b.T("board.group.heading", "By", b.T("board.group."+b.Filter.Group), "Name", name, "Count", len(g.Rows))
}

// BucketClass is the CSS class that colours a lateness bucket.
func (b *boardData) BucketClass(bucket string) string { return bucketClass(bucket) }

func bucketClass(bucket string) string {
	switch bucket {
	case "under_1d":
		return "late-1"
	case "1d_3d":
		return "late-2"
	case "3d_7d", "over_7d":
		return "late-3"
	}
	return ""
}

// ActionLabel names an escalation step or a history event in the user's
// language; one the catalogue does not know yet shows as the service
// names it.
func (b *boardData) ActionLabel(a string) string { return actionLabel(b.Ctx, a) }

// ActionLabel names an escalation step or a history event.
func (p itemPage) ActionLabel(a string) string { return actionLabel(p.Ctx, a) }

func actionLabel(x *view.Ctx, a string) string {
	id := "board.action." + a
	if s := x.T(id); s != id {
		return s
	}
	return a
}

// StateLabel names a follow-up's state.
func (p itemPage) StateLabel(s string) string {
	id := "board.state." + s
	if t := p.T(id); t != id {
		return t
	}
	return s
}

// MaxNote is the longest note the forms take.
func (p itemPage) MaxNote() int { return MaxNote }
