package webhook

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"openboards/internal/openboards"
	"openboards/internal/webhook/egress"
	"openboards/internal/webhook/payload"
)

// Limits of the configuration API.
const (
	MaxWebhooks       = 50      // per community
	MaxReplayEvents   = 100_000 // per replay request
	maxVerifyTokenLen = 500
	secretOverlap     = 24 * time.Hour // a rotated-out secret keeps signing this long
)

// Service configures a community's webhooks: it verifies endpoints with the
// documented handshake before saving them, rotates signing secrets, sends
// test events, and queues redeliveries and replays.
type Service struct {
	store     openboards.Store
	client    *egress.Client
	inboxBase string
	now       func() time.Time
}

// NewService returns a Service. store should be the dispatcher's waking
// store, so that queued redeliveries start at once.
func NewService(store openboards.Store, client *egress.Client, inboxBase string, now func() time.Time) *Service {
	return &Service{store: store, client: client, inboxBase: inboxBase, now: now}
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(100 * time.Nanosecond) }

// Now returns the time on the service's clock, by which the API must judge
// what the service dated (a previous secret's expiration, replay ranges).
func (s *Service) Now() time.Time { return s.now() }

// Input is a webhook's settings in a request; nil fields are absent.
type Input struct {
	URL         *string
	VerifyToken *string
	Events      *[]string
	Status      *string // "active" or "paused"
}

// events validates subscribed event types and puts them in EventTypes
// order without duplicates.
func events(field string, in []string) ([]string, error) {
	if len(in) == 0 {
		return nil, openboards.Errorf(openboards.CodeInvalid, "%s: choose at least one event (one of %s)", field, strings.Join(openboards.EventTypes, ", "))
	}
	for i, e := range in {
		if !openboards.IsEventType(e) {
			return nil, openboards.Errorf(openboards.CodeInvalid, "%s[%d]: unknown event %q (want one of %s)", field, i, e, strings.Join(openboards.EventTypes, ", "))
		}
	}
	out := []string{}
	for _, e := range openboards.EventTypes {
		if slices.Contains(in, e) {
			out = append(out, e)
		}
	}
	return out, nil
}

func verifyToken(v string) (string, error) {
	if strings.TrimSpace(v) == "" {
		return "", openboards.Errorf(openboards.CodeInvalid, "verifyToken: required (the string your endpoint expects in the verification request)")
	}
	if err := openboards.CheckLen("verifyToken", v, maxVerifyTokenLen); err != nil {
		return "", err
	}
	return v, nil
}

func checkURL(v string) (string, error) {
	if err := openboards.CheckText("url", v); err != nil {
		return "", err
	}
	u, err := egress.CheckURL(strings.TrimSpace(v))
	if err != nil {
		return "", openboards.Errorf(openboards.CodeInvalid, "url: %v", err)
	}
	return u, nil
}

// verify runs the handshake, reporting a failure as invalid input.
func (s *Service) verify(ctx context.Context, url, token string) error {
	if err := s.client.Verify(ctx, url, token); err != nil {
		return openboards.Errorf(openboards.CodeInvalid, "url: the verification request failed: %v", err)
	}
	return nil
}

// Create verifies an endpoint and saves it, with a new signing secret.
func (s *Service) Create(ctx context.Context, cm *openboards.Community, in Input) (*openboards.Webhook, error) {
	if in.URL == nil {
		return nil, openboards.Errorf(openboards.CodeInvalid, "url: required")
	}
	url, err := checkURL(*in.URL)
	if err != nil {
		return nil, err
	}
	if in.VerifyToken == nil {
		return nil, openboards.Errorf(openboards.CodeInvalid, "verifyToken: required (the string your endpoint expects in the verification request)")
	}
	token, err := verifyToken(*in.VerifyToken)
	if err != nil {
		return nil, err
	}
	if in.Events == nil {
		return nil, openboards.Errorf(openboards.CodeInvalid, "events: required (one or more of %s)", strings.Join(openboards.EventTypes, ", "))
	}
	evs, err := events("events", *in.Events)
	if err != nil {
		return nil, err
	}
	status := openboards.WebhookActive
	if in.Status != nil {
		if status, err = settableStatus(*in.Status); err != nil {
			return nil, err
		}
	}
	if err := s.verify(ctx, url, token); err != nil {
		return nil, err
	}
	now := s.clock()
	w := &openboards.Webhook{
		CommunityID: cm.ID, URL: url, VerifyToken: token, Events: evs, Status: status,
		Secret: egress.NewSecret(), CreatedAt: now, UpdatedAt: now,
	}
	err = s.store.InTx(ctx, func(tx openboards.Tx) error {
		all, err := tx.FindWebhooks(ctx, cm.ID)
		if err != nil {
			return err
		}
		if len(all) >= MaxWebhooks {
			return openboards.Errorf(openboards.CodeConflict, "url: the community already has %d webhooks, the most it may have", len(all))
		}
		return tx.CreateWebhook(ctx, w)
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

func settableStatus(v string) (openboards.WebhookStatus, error) {
	switch openboards.WebhookStatus(v) {
	case openboards.WebhookActive, openboards.WebhookPaused:
		return openboards.WebhookStatus(v), nil
	}
	return "", openboards.Errorf(openboards.CodeInvalid, "status: %q cannot be set (want active or paused)", v)
}

// Update changes a webhook. A new url or verify token is verified before it
// is saved; so is an endpoint that is enabled again after being disabled,
// and it is then sent again what it missed while disabled (within the
// retention period). Pending deliveries of event types it no longer
// subscribes to are given up. The change is in force for every delivery
// claimed once Update returns, by every dispatcher.
func (s *Service) Update(ctx context.Context, cm *openboards.Community, id int64, in Input) (*openboards.Webhook, error) {
	cur, err := s.store.FindWebhookByID(ctx, cm.ID, id)
	if err != nil {
		return nil, err
	}
	next := *cur
	if in.URL != nil {
		if next.URL, err = checkURL(*in.URL); err != nil {
			return nil, err
		}
	}
	if in.VerifyToken != nil {
		if next.VerifyToken, err = verifyToken(*in.VerifyToken); err != nil {
			return nil, err
		}
	}
	if in.Events != nil {
		if next.Events, err = events("events", *in.Events); err != nil {
			return nil, err
		}
	}
	if in.Status != nil {
		if next.Status, err = settableStatus(*in.Status); err != nil {
			return nil, err
		}
	}
	reenabled := cur.Status == openboards.WebhookDisabled && next.Status != openboards.WebhookDisabled
	if next.URL != cur.URL || next.VerifyToken != cur.VerifyToken || reenabled {
		if err := s.verify(ctx, next.URL, next.VerifyToken); err != nil {
			return nil, err
		}
	}
	now := s.clock()
	var missedFrom *time.Time
	if reenabled {
		missedFrom = cur.DisabledAt
		next.DisabledReason, next.DisabledAt, next.FailingSince = "", nil, nil
	}
	next.UpdatedAt = now
	err = s.store.InTx(ctx, func(tx openboards.Tx) error {
		w, err := tx.FindWebhookByID(ctx, cm.ID, id)
		if err != nil {
			return err
		}
		if w.UpdatedAt != cur.UpdatedAt {
			return openboards.Errorf(openboards.CodeConflict, "webhook %d changed while this change was verified; try again", id)
		}
		if err := tx.UpdateWebhook(ctx, &next); err != nil {
			return err
		}
		// What is no longer subscribed to is not sent, even if it was
		// queued before the change.
		var dropped []string
		for _, e := range cur.Events {
			if !next.Subscribes(e) {
				dropped = append(dropped, e)
			}
		}
		if _, err := tx.GiveUpDeliveries(ctx, id, dropped, now); err != nil {
			return err
		}
		if missedFrom == nil {
			return nil
		}
		// What waited for the endpoint is tried at once, then what it
		// missed follows.
		if err := tx.RetryNow(ctx, id, now); err != nil {
			return err
		}
		_, err = s.replay(ctx, tx, &next, *missedFrom, now, next.Events, true)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &next, nil
}

// Delete removes a webhook with its deliveries.
func (s *Service) Delete(ctx context.Context, cm *openboards.Community, id int64) error {
	return s.store.InTx(ctx, func(tx openboards.Tx) error { return tx.DeleteWebhook(ctx, cm.ID, id) })
}

// RotateSecret gives a webhook a new signing secret. The old one keeps
// signing alongside for a day, so receivers can switch without losing
// events.
func (s *Service) RotateSecret(ctx context.Context, cm *openboards.Community, id int64) (*openboards.Webhook, error) {
	var w *openboards.Webhook
	err := s.store.InTx(ctx, func(tx openboards.Tx) error {
		var err error
		if w, err = tx.FindWebhookByID(ctx, cm.ID, id); err != nil {
			return err
		}
		now := s.clock()
		until := now.Add(secretOverlap)
		w.PreviousSecret, w.PreviousSecretUntil, w.Secret, w.UpdatedAt = w.Secret, &until, egress.NewSecret(), now
		return tx.UpdateWebhook(ctx, w)
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// Redeliver queues an event of a delivery again for its webhook, after the
// ticket's deliveries already queued.
func (s *Service) Redeliver(ctx context.Context, cm *openboards.Community, webhookID, deliveryID int64) (*openboards.Delivery, error) {
	var out *openboards.Delivery
	err := s.store.InTx(ctx, func(tx openboards.Tx) error {
		d, err := tx.FindDeliveryByID(ctx, cm.ID, webhookID, deliveryID)
		if err != nil {
			return err
		}
		if _, err := tx.FindEventByID(ctx, cm.ID, d.EventID); err != nil {
			if openboards.ErrorCode(err) == openboards.CodeNotFound {
				return openboards.Errorf(openboards.CodeNotFound, "the event of delivery %d is past the retention period", deliveryID)
			}
			return err
		}
		ids, err := tx.CreateDeliveries(ctx, webhookID, []int64{d.EventID}, s.clock())
		if err != nil {
			return err
		}
		out, err = tx.FindDeliveryByID(ctx, cm.ID, webhookID, ids[0])
		return err
	})
	return out, err
}

// Replay queues again, for one webhook, the community's events of the
// given types (default: those it subscribes to) recorded in [from, to),
// in the order they happened. It returns how many were queued.
func (s *Service) Replay(ctx context.Context, cm *openboards.Community, id int64, from, to time.Time, types []string) (int, error) {
	if !from.Before(to) {
		return 0, openboards.Errorf(openboards.CodeInvalid, "to: must be after from")
	}
	var n int
	err := s.store.InTx(ctx, func(tx openboards.Tx) error {
		w, err := tx.FindWebhookByID(ctx, cm.ID, id)
		if err != nil {
			return err
		}
		if types == nil {
			types = w.Events
		} else {
			in := types
			if types, err = events("events", in); err != nil {
				return err
			}
			// Indexes name the request's items, not the sorted types.
			for i, t := range in {
				if !w.Subscribes(t) {
					return openboards.Errorf(openboards.CodeInvalid, "events[%d]: webhook %d does not subscribe to %s", i, id, t)
				}
			}
		}
		n, err = s.replay(ctx, tx, w, from, to, types, false)
		return err
	})
	return n, err
}

// replay queues the events of a range for w; onlyMissed leaves out those
// it already had, queued or sent.
func (s *Service) replay(ctx context.Context, tx openboards.Tx, w *openboards.Webhook, from, to time.Time, types []string, onlyMissed bool) (int, error) {
	var missingFor int64
	if onlyMissed {
		missingFor = w.ID
	}
	ids, err := tx.FindEventIDs(ctx, w.CommunityID, from, to, types, missingFor, MaxReplayEvents+1)
	if err != nil {
		return 0, err
	}
	if len(ids) > MaxReplayEvents {
		return 0, openboards.Errorf(openboards.CodeInvalid, "from: the range holds more than %d events; replay a shorter range at a time", MaxReplayEvents)
	}
	queued, err := tx.CreateDeliveries(ctx, w.ID, ids, s.clock())
	return len(queued), err
}

// TestResult is the outcome of a test event.
type TestResult struct {
	EventType  string
	MessageID  string
	Payload    []byte
	StatusCode int
	Duration   time.Duration
	Error      string
	Response   string
}

// Test sends a sample event of type typ (default ticket_status_change) to a
// webhook at once, signed like real deliveries, and reports the outcome. It
// is not queued or retried.
func (s *Service) Test(ctx context.Context, cm *openboards.Community, id int64, typ string) (*TestResult, error) {
	if typ == "" {
		typ = openboards.EventTicketStatusChange
	}
	if !openboards.IsEventType(typ) {
		return nil, openboards.Errorf(openboards.CodeInvalid, "eventType: unknown event %q (want one of %s)", typ, strings.Join(openboards.EventTypes, ", "))
	}
	w, err := s.store.FindWebhookByID(ctx, cm.ID, id)
	if err != nil {
		return nil, err
	}
	now := s.now()
	body, err := payload.Sample(s.inboxBase, cm.Name, typ, now.UTC())
	if err != nil {
		return nil, err
	}
	msgID := fmt.Sprintf("msg_test_%d", now.UnixNano())
	secrets := []string{w.Secret}
	if w.PreviousSecret != "" && w.PreviousSecretUntil != nil && now.Before(*w.PreviousSecretUntil) {
		secrets = append(secrets, w.PreviousSecret)
	}
	header, err := egress.Headers(msgID, now, body, secrets...)
	if err != nil {
		return nil, err
	}
	res := s.client.Post(ctx, w.URL, header, body)
	out := &TestResult{EventType: typ, MessageID: msgID, Payload: body, StatusCode: res.StatusCode, Duration: res.Duration, Response: cleanText(res.Body)}
	if res.Err != nil {
		out.Error = res.Err.Error()
	}
	return out, nil
}
