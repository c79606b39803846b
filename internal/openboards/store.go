package openboards

import "context"

// Reader is the read half of the storage seam: every resource's reader.
// Every lookup is scoped to a community; a "find by id" of another
// community's object reports CodeNotFound. Find methods never return
// (nil, nil). Each resource declares its reader and store next to its
// entity; a new resource adds its own pair and embeds them here.
type Reader interface {
	SettingReader
	CommunityReader
	UserReader
	UserGroupReader
	SessionReader
	CategoryReader
	CustomFieldReader
	TagReader
	TicketReader
	ReplyReader
	NoteReader
	LogReader
	WidgetScheduleReader
	WidgetSettingsReader
	VisitorTokenReader
	WebhookReader
	EventReader
	DeliveryReader
	ConversationReader
	FaqReader
}

// Tx is a storage transaction: reads see its own writes, and its writes
// commit together or not at all. Create methods set the new object's id.
// Reading a ticket does not lock it; a transaction that changes a ticket
// calls LockTicket first.
type Tx interface {
	SettingStore
	CommunityStore
	UserStore
	UserGroupStore
	SessionStore
	CategoryStore
	CustomFieldStore
	TagStore
	TicketStore
	ReplyStore
	NoteStore
	LogStore
	WidgetScheduleStore
	WidgetSettingsStore
	VisitorTokenStore
	WebhookStore
	EventStore
	DeliveryStore
	ConversationStore
	FaqStore
	ReadAheader
}

// Store is the storage seam: plain reads, plus transactions for every write.
type Store interface {
	Reader
	// InTx runs fn in one transaction, committed durably when fn returns nil
	// and rolled back when it returns an error, which InTx returns. fn must
	// not call InTx.
	InTx(ctx context.Context, fn func(Tx) error) error
	Close() error
}

// ReadAhead names the reads a transaction is about to make before it
// writes what they read, so that a backend paying a network round trip per
// statement can fetch them together.
type ReadAhead struct {
	// UserEmail and UserCustomIdentifier, when set, are the lookups
	// FindUserByEmail and FindUserByCustomIdentifier are about to make.
	UserEmail, UserCustomIdentifier string
	// CustomFields is set when FindCustomFields is about to be called.
	CustomFields bool
	// Tags are the names UpsertTags is about to be called with.
	Tags []string
	// Webhooks is set when FindWebhooks is about to be called.
	Webhooks bool
}

// ReadAheader is implemented by every Tx.
type ReadAheader interface {
	// ReadAhead fetches what r names in one go where that saves round
	// trips. Each read it covers, made later in the same transaction for
	// the same community, is answered from what it fetched, once, unless
	// the transaction wrote the table read in between. Backends without
	// round trips to save read nothing ahead.
	ReadAhead(ctx context.Context, communityID int64, r ReadAhead) error
}
