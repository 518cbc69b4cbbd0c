package customer360

import (
	"github.com/closeloop/closeloop/services/web/internal/apis/customerapi"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// node is one company of the hierarchy as the page shows it.
type node struct {
	ID, Name, Stage, Class string
	// Restricted: outside the user's scope; the service shows only that it
	// exists.
	Restricted bool
	Current    bool // the page's customer
	Children   []*node
}

// treeData is the hierarchy: from the group at the top down the chain of
// parents to the customer, and the customer's subsidiaries below it.
type treeData struct {
	*view.Ctx
	Top *node
	// Alone: no parent and no subsidiary.
	Alone bool
}

// Tree is the data of one node's template.
func (t *treeData) Tree(n *node) map[string]any { return map[string]any{"X": t.Ctx, "N": n} }

// treeOf builds the hierarchy of customer id from the service's answer:
// the ancestors come nearest first, so the chain is built from the top.
func treeOf(x *view.Ctx, id string, t customerapi.Tree) *treeData {
	var conv func(customerapi.TreeNode) *node
	conv = func(tn customerapi.TreeNode) *node {
		n := &node{ID: view.Str(tn.Id), Name: view.Str(tn.Name), Stage: view.Str(tn.LifecycleStage), Class: view.Str(tn.ValueClass),
			Restricted: deref(tn.Restricted)}
		n.Current = n.ID == id
		for _, c := range deref(tn.Children) {
			n.Children = append(n.Children, conv(c))
		}
		return n
	}
	if t.Root == nil {
		return nil
	}
	top := conv(*t.Root)
	ancestors := deref(t.Ancestors)
	for _, a := range ancestors {
		parent := conv(a)
		parent.Children = []*node{top}
		top = parent
	}
	return &treeData{Ctx: x, Top: top, Alone: len(ancestors) == 0 && len(deref(t.Root.Children)) == 0}
}
