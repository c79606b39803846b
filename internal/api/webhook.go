package api

import (
	"encoding/json"
	"net/http"
	"time"

	"openboards/internal/httpapi"
	"openboards/internal/openboards"
	"openboards/internal/webhook"
)

// Webhook configuration (an extension: the documented system configures
// webhooks in the inbox settings only).

func (h *Handler) webhookRoutes() {
	m := h.mux
	m.Handle("GET /webhooks", h.auth(h.handleWebhookList))
	m.Handle("POST /webhooks", h.auth(h.handleWebhookCreate))
	m.Handle("GET /webhooks/{id}", h.auth(h.handleWebhookGet))
	m.Handle("PATCH /webhooks/{id}", h.auth(h.handleWebhookUpdate))
	m.Handle("DELETE /webhooks/{id}", h.auth(h.handleWebhookDelete))
	m.Handle("POST /webhooks/{id}/secret", h.auth(h.handleWebhookSecret))
	m.Handle("GET /webhooks/{id}/deliveries", h.auth(h.handleDeliveryList))
	m.Handle("GET /webhooks/{id}/deliveries/{deliveryId}", h.auth(h.handleDeliveryGet))
	m.Handle("POST /webhooks/{id}/deliveries/{deliveryId}/redeliver", h.auth(h.handleRedeliver))
	m.Handle("POST /webhooks/{id}/test", h.auth(h.handleWebhookTest))
	m.Handle("POST /webhooks/{id}/replay", h.auth(h.handleWebhookReplay))
}

type webhookJSON struct {
	ID                           int64    `json:"id"`
	URL                          string   `json:"url"`
	VerifyToken                  string   `json:"verifyToken"`
	Events                       []string `json:"events"`
	Status                       string   `json:"status"`
	DisabledReason               *string  `json:"disabledReason"`
	DisabledTime                 *string  `json:"disabledTime"`
	FailingSince                 *string  `json:"failingSince"`
	Secret                       string   `json:"secret"`
	PreviousSecretExpirationTime *string  `json:"previousSecretExpirationTime"`
	CreationTime                 string   `json:"creationTime"`
	UpdateTime                   string   `json:"updateTime"`
}

func optionalTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := httpapi.FormatTime(*t)
	return &s
}

func webhookOut(w *openboards.Webhook, now time.Time) *webhookJSON {
	out := &webhookJSON{
		ID: w.ID, URL: w.URL, VerifyToken: w.VerifyToken, Events: w.Events, Status: string(w.Status),
		DisabledTime: optionalTime(w.DisabledAt), FailingSince: optionalTime(w.FailingSince), Secret: w.Secret,
		CreationTime: httpapi.FormatTime(w.CreatedAt), UpdateTime: httpapi.FormatTime(w.UpdatedAt),
	}
	if w.DisabledReason != "" {
		out.DisabledReason = &w.DisabledReason
	}
	if w.PreviousSecret != "" && w.PreviousSecretUntil != nil && now.Before(*w.PreviousSecretUntil) {
		out.PreviousSecretExpirationTime = optionalTime(w.PreviousSecretUntil)
	}
	return out
}

type attemptJSON struct {
	Time         string  `json:"time"`
	DurationMs   float64 `json:"durationMs"`
	StatusCode   *int    `json:"statusCode"`
	Error        *string `json:"error"`
	ResponseBody string  `json:"responseBody"`
}

type deliveryJSON struct {
	ID              int64           `json:"id"`
	WebhookID       int64           `json:"webhookId"`
	EventID         int64           `json:"eventId"`
	MessageID       string          `json:"messageId"`
	EventType       string          `json:"eventType"`
	TicketID        int64           `json:"ticketId"`
	Status          string          `json:"status"`
	AttemptCount    int             `json:"attemptCount"`
	NextAttemptTime *string         `json:"nextAttemptTime"`
	CreationTime    string          `json:"creationTime"`
	CompletionTime  *string         `json:"completionTime"`
	Attempts        []attemptJSON   `json:"attempts"`
	Payload         json.RawMessage `json:"payload,omitempty"`
}

func deliveryOut(d *openboards.Delivery) *deliveryJSON {
	out := &deliveryJSON{
		ID: d.ID, WebhookID: d.WebhookID, EventID: d.EventID, MessageID: webhook.MessageID(d.EventID), EventType: d.EventType,
		TicketID: d.TicketID, Status: string(d.State), AttemptCount: d.AttemptCount, CreationTime: httpapi.FormatTime(d.CreatedAt),
		CompletionTime: optionalTime(d.DoneAt), Attempts: make([]attemptJSON, len(d.Attempts)),
	}
	if d.State == openboards.DeliveryPending {
		out.NextAttemptTime = optionalTime(&d.NextAttemptAt)
	}
	for i, a := range d.Attempts {
		out.Attempts[i] = attemptOut(a.At, a.Duration, a.StatusCode, a.Error, a.Response)
	}
	return out
}

func attemptOut(at time.Time, dur time.Duration, code int, errText, body string) attemptJSON {
	a := attemptJSON{Time: httpapi.FormatTime(at), DurationMs: float64(dur.Microseconds()) / 1000, ResponseBody: body}
	if code != 0 {
		a.StatusCode = &code
	}
	if errText != "" {
		a.Error = &errText
	}
	return a
}

type webhookRequest struct {
	URL         *string   `json:"url"`
	VerifyToken *string   `json:"verifyToken"`
	Events      *[]string `json:"events"`
	Status      *string   `json:"status"`
	// Read-only members of the webhook shape.
	ID                           httpapi.Ignored `json:"id"`
	DisabledReason               httpapi.Ignored `json:"disabledReason"`
	DisabledTime                 httpapi.Ignored `json:"disabledTime"`
	FailingSince                 httpapi.Ignored `json:"failingSince"`
	Secret                       httpapi.Ignored `json:"secret"`
	PreviousSecretExpirationTime httpapi.Ignored `json:"previousSecretExpirationTime"`
	CreationTime                 httpapi.Ignored `json:"creationTime"`
	UpdateTime                   httpapi.Ignored `json:"updateTime"`
}

func (q webhookRequest) input() webhook.Input {
	return webhook.Input{URL: q.URL, VerifyToken: q.VerifyToken, Events: q.Events, Status: q.Status}
}

func (h *Handler) handleWebhookList(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	hooks, err := h.store.FindWebhooks(r.Context(), cm.ID)
	if err != nil {
		return err
	}
	now := h.opt.Webhooks.Now()
	out := make([]*webhookJSON, len(hooks))
	for i, wh := range hooks {
		out[i] = webhookOut(wh, now)
	}
	return h.ok(w, out)
}

func (h *Handler) handleWebhookCreate(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	var req webhookRequest
	if err := httpapi.Decode(r, &req, true); err != nil {
		return err
	}
	wh, err := h.opt.Webhooks.Create(r.Context(), cm, req.input())
	if err != nil {
		return err
	}
	return h.ok(w, webhookOut(wh, h.opt.Webhooks.Now()))
}

func (h *Handler) handleWebhookGet(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	wh, err := h.store.FindWebhookByID(r.Context(), cm.ID, id)
	if err != nil {
		return err
	}
	return h.ok(w, webhookOut(wh, h.opt.Webhooks.Now()))
}

func (h *Handler) handleWebhookUpdate(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	var req webhookRequest
	if err := httpapi.Decode(r, &req, true); err != nil {
		return err
	}
	wh, err := h.opt.Webhooks.Update(r.Context(), cm, id, req.input())
	if err != nil {
		return err
	}
	return h.ok(w, webhookOut(wh, h.opt.Webhooks.Now()))
}

func (h *Handler) handleWebhookDelete(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.opt.Webhooks.Delete(r.Context(), cm, id); err != nil {
		return err
	}
	return h.ok(w, httpapi.EmptyObject)
}

func (h *Handler) handleWebhookSecret(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	wh, err := h.opt.Webhooks.RotateSecret(r.Context(), cm, id)
	if err != nil {
		return err
	}
	return h.ok(w, webhookOut(wh, h.opt.Webhooks.Now()))
}

func (h *Handler) handleDeliveryList(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := h.store.FindWebhookByID(r.Context(), cm.ID, id); err != nil {
		return err
	}
	f := openboards.DeliveryFilter{CommunityID: cm.ID, WebhookID: id}
	skip, _, err := httpapi.QueryInt(r, "skip")
	if err != nil {
		return err
	}
	take, _, err := httpapi.QueryInt(r, "take")
	if err != nil {
		return err
	}
	f.Skip, f.Take = openboards.ClampPage(skip, take)
	if s, ok := httpapi.QueryValue(r, "status"); ok && s != "" {
		st, err := openboards.ParseDeliveryState("status", s)
		if err != nil {
			return err
		}
		f.State = &st
	}
	if s, ok := httpapi.QueryValue(r, "eventType"); ok && s != "" {
		if !openboards.IsEventType(s) {
			return openboards.Errorf(openboards.CodeInvalid, "eventType: unknown event %q", s)
		}
		f.EventType = s
	}
	ds, err := h.store.FindDeliveries(r.Context(), f)
	if err != nil {
		return err
	}
	out := make([]*deliveryJSON, len(ds))
	for i, d := range ds {
		out[i] = deliveryOut(d)
	}
	return h.ok(w, out)
}

// deliveryPath reads the webhook and delivery ids of a delivery's path.
func deliveryPath(r *http.Request) (webhookID, deliveryID int64, err error) {
	if webhookID, err = httpapi.PathID(r, "id"); err != nil {
		return 0, 0, err
	}
	deliveryID, err = httpapi.PathID(r, "deliveryId")
	return webhookID, deliveryID, err
}

func (h *Handler) handleDeliveryGet(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, did, err := deliveryPath(r)
	if err != nil {
		return err
	}
	d, err := h.store.FindDeliveryByID(r.Context(), cm.ID, id, did)
	if err != nil {
		return err
	}
	out := deliveryOut(d)
	if e, err := h.store.FindEventByID(r.Context(), cm.ID, d.EventID); err == nil {
		out.Payload = e.Payload
	} else if openboards.ErrorCode(err) != openboards.CodeNotFound {
		return err
	}
	return h.ok(w, out)
}

func (h *Handler) handleRedeliver(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, did, err := deliveryPath(r)
	if err != nil {
		return err
	}
	d, err := h.opt.Webhooks.Redeliver(r.Context(), cm, id, did)
	if err != nil {
		return err
	}
	return h.ok(w, deliveryOut(d))
}

type testResultJSON struct {
	Success   bool            `json:"success"`
	EventType string          `json:"eventType"`
	MessageID string          `json:"messageId"`
	Attempt   attemptJSON     `json:"attempt"`
	Payload   json.RawMessage `json:"payload"`
}

func (h *Handler) handleWebhookTest(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	var req struct {
		EventType string `json:"eventType"`
	}
	if err := httpapi.Decode(r, &req, false); err != nil {
		return err
	}
	start := h.opt.Webhooks.Now()
	res, err := h.opt.Webhooks.Test(r.Context(), cm, id, req.EventType)
	if err != nil {
		return err
	}
	return h.ok(w, testResultJSON{
		Success: res.Error == "", EventType: res.EventType, MessageID: res.MessageID, Payload: res.Payload,
		Attempt: attemptOut(start, res.Duration, res.StatusCode, res.Error, res.Response),
	})
}

func (h *Handler) handleWebhookReplay(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	var req struct {
		From   *string  `json:"from"`
		To     *string  `json:"to"`
		Events []string `json:"events"`
	}
	if err := httpapi.Decode(r, &req, true); err != nil {
		return err
	}
	if req.From == nil {
		return openboards.Errorf(openboards.CodeInvalid, "from: required (a date-time like 2020-01-01T00:00:00+00:00)")
	}
	from, err := httpapi.ParseTime("from", *req.From)
	if err != nil {
		return err
	}
	to := h.opt.Webhooks.Now()
	if req.To != nil {
		t, err := httpapi.ParseTime("to", *req.To)
		if err != nil {
			return err
		}
		to = *t
	}
	n, err := h.opt.Webhooks.Replay(r.Context(), cm, id, *from, to, req.Events)
	if err != nil {
		return err
	}
	return h.ok(w, map[string]int{"queued": n})
}
