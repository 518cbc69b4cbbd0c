package messages

// The views the templates in templates/ are filled with: every word already
// in the reader's language and every time already in their zone, so the
// templates only lay things out.

type messageView struct {
	Lang, Subject         string
	Urgent                bool
	UrgentLabel           string
	Heading, Greeting     string
	Body, Title           string
	Details               []detail
	Colon                 string
	Link, LinkLabel       string
	InboxLink, InboxLabel string
	Footer                footer
}

type digestView struct {
	Lang, Subject            string
	Heading, Greeting, Intro string
	OwnedTitle, OwnedNone    string
	Owned                    []itemView
	OwnedMore                string
	TeamsTitle               string
	Teams                    []itemView
	TeamsMore                string
	Colon                    string
	InboxLink, InboxLabel    string
	BoardLink, BoardLabel    string
	Footer                   footer
}

// itemView is one line of a digest's list.
type itemView struct {
	Title, Link string
	Details     []detail
}

// detail is one labelled fact of an item; Alert marks lateness, which the
// HTML part shows in bold red as well as in words.
type detail struct {
	Label, Value string
	Alert        bool
}

// footer is why the recipient gets the email and where to change that.
type footer struct {
	Reason, Change, Colon       string
	SettingsLink, SettingsLabel string
	NoLink                      string
}

func (v messageView) subject() string { return v.Subject }
func (v digestView) subject() string  { return v.Subject }
