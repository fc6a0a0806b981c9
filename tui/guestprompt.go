package tui

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/tui/doc"
	"github.com/proxbox-tui/proxbox-tui/tui/format"
	"github.com/proxbox-tui/proxbox-tui/tui/input"
	"github.com/proxbox-tui/proxbox-tui/tui/pane"
	"github.com/proxbox-tui/proxbox-tui/tui/style"
)

// guestPrompt asks for a VMID or a name and lists the guests that match;
// enter opens the chosen one's summary. Every key but the arrows, enter
// and esc is text, so it never acts on the table behind it.
type guestPrompt struct {
	c       *common
	guests  []store.Guest
	eps     []string // endpoints a bare VMID may be on
	input   *input.Model
	modal   *pane.Modal
	matches []guestRef
}

// maxGuestMatches bounds the list; typing more narrows it.
const maxGuestMatches = 50

func (m *Model) openGuestPrompt() tea.Cmd {
	if m.c.store == nil {
		return nil
	}
	guests, err := store.List[store.Guest](m.c.store, "")
	if err != nil {
		m.setFlash("guests: "+err.Error(), style.Error)
		return nil
	}
	eps := slices.Clone(m.c.epNames)
	for _, g := range guests {
		if !slices.Contains(eps, g.Endpoint) {
			eps = append(eps, g.Endpoint)
		}
	}
	slices.Sort(eps)
	p := &guestPrompt{c: m.c, guests: guests, eps: eps, input: input.New()}
	return m.put(p, placeOnScreen)
}

func (p *guestPrompt) Update(msg tea.Msg) (place, tea.Cmd) {
	switch msg := msg.(type) {
	case shownMsg:
		p.modal = pane.NewModal(p.c.st, p.c.keys.paneKeys(), "Guest summary · VMID or name")
		p.refresh()
	case tea.MouseMsg:
		p.modal.Update(msg)
	case tea.KeyMsg:
		switch msg.Type {
		case tea.KeyEsc:
			return placeClosed, nil
		case tea.KeyEnter:
			if len(p.matches) == 0 {
				return placeOnScreen, nil
			}
			ref := p.matches[p.modal.Cursor()]
			return placeClosed, func() tea.Msg { return openGuestMsg{ref} }
		case tea.KeyUp:
			p.modal.Move(-1)
		case tea.KeyDown:
			p.modal.Move(1)
		default:
			before := p.input.Value()
			p.input.Update(msg)
			if p.input.Value() != before {
				p.refresh()
			}
		}
	}
	return placeOnScreen, nil
}

// refresh lists the matches of what is typed.
func (p *guestPrompt) refresh() {
	var labels []string
	p.matches, labels = matchGuests(p.guests, p.eps, p.input.Value())
	var lines []doc.Line
	switch {
	case strings.TrimSpace(p.input.Value()) == "":
		lines = append(lines, doc.TextLine("Type a VMID (100) or a name (web): its backups, jobs, replication and snapshots.", style.Dim))
	case len(p.matches) == 0:
		lines = append(lines, doc.TextLine("No guest matches.", style.Warn))
	case len(labels) > maxGuestMatches:
		lines = append(lines, doc.TextLine("First "+strconv.Itoa(maxGuestMatches)+" of "+strconv.Itoa(len(labels))+" matches: type more.", style.Dim))
		labels, p.matches = labels[:maxGuestMatches], p.matches[:maxGuestMatches]
	}
	p.modal.SetMenu(labels)
	p.modal.Move(0)
	prompt := []doc.Span{{Text: "guest: ", Style: style.Bold}, {Text: format.Clean(p.input.Value()) + "█", Style: style.Plain}}
	k := p.c.keys
	p.modal.Set(p.modal.Title(), lines, prompt, relabel(k.Choose, "open"),
		key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑/↓", "choose")),
		key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")))
}

// matchGuests lists the guests a query names, best first: the VMID
// itself, VMIDs starting with it, names starting with it, names holding
// it. A VMID no guest has on an endpoint is offered there too, for the
// backups and jobs a deleted guest leaves.
func matchGuests(guests []store.Guest, eps []string, query string) ([]guestRef, []string) {
	q := strings.ToLower(strings.TrimSpace(query))
	if q == "" {
		return nil, nil
	}
	type hit struct {
		rank  int
		g     *store.Guest
		ref   guestRef
		label string
	}
	var hits []hit
	has := map[guestRef]bool{}
	for i := range guests {
		g := &guests[i]
		id, name := strconv.Itoa(g.VMID), strings.ToLower(g.Name)
		rank := -1
		switch {
		case id == q:
			rank = 0
		case strings.HasPrefix(id, q):
			rank = 1
		case strings.HasPrefix(name, q):
			rank = 2
		case strings.Contains(name, q):
			rank = 3
		}
		ref := guestRef{g.Endpoint, g.VMID}
		has[ref] = true
		if rank >= 0 {
			label := format.Clean(g.Endpoint) + "  " + store.GuestKey(g.Type, g.VMID) + " " + format.Clean(g.Name) +
				"  on " + format.Clean(g.Node) + " (" + format.Clean(g.Status) + ")"
			hits = append(hits, hit{rank, g, ref, label})
		}
	}
	if vmid, err := strconv.Atoi(q); err == nil && vmid > 0 && strconv.Itoa(vmid) == q {
		for _, ep := range eps {
			if ref := (guestRef{ep, vmid}); !has[ref] {
				hits = append(hits, hit{4, nil, ref, format.Clean(ep) + "  vmid " + q + ": no such guest (its backups and jobs)"})
			}
		}
	}
	slices.SortStableFunc(hits, func(a, b hit) int {
		return cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(a.ref.vmid, b.ref.vmid), cmp.Compare(a.ref.endpoint, b.ref.endpoint))
	})
	refs := make([]guestRef, len(hits))
	labels := make([]string, len(hits))
	for i, h := range hits {
		refs[i], labels[i] = h.ref, h.label
	}
	return refs, labels
}

func (p *guestPrompt) SetSize(w, h int) {
	if p.modal != nil {
		p.modal.SetSize(w, h)
	}
}

func (p *guestPrompt) Over(body string) string {
	if p.modal == nil {
		return body
	}
	return p.modal.Over(body)
}

func (p *guestPrompt) ShortHelp() []key.Binding {
	if p.modal == nil {
		return nil
	}
	return p.modal.ShortHelp()
}

func (p *guestPrompt) Status() string { return "" }
