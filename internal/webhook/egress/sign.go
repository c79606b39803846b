package egress

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The Standard Webhooks headers (https://www.standardwebhooks.com/).
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// secretPrefix starts every signing secret.
const secretPrefix = "whsec_"

// NewSecret returns a new signing secret: "whsec_" followed by 32 random
// bytes in standard base64.
func NewSecret() string {
	key := make([]byte, 32)
	rand.Read(key) // Read never returns an error and always fills key.
	return secretPrefix + base64.StdEncoding.EncodeToString(key)
}

// decodeSecret returns the HMAC key of a signing secret.
func decodeSecret(secret string) ([]byte, error) {
	if secret == "" {
		return nil, errors.New("signing secret is empty")
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, secretPrefix))
	if err != nil {
		return nil, errors.New("signing secret is not \"whsec_\" followed by standard base64")
	}
	if len(key) == 0 {
		return nil, errors.New("signing secret has an empty key after \"whsec_\"")
	}
	return key, nil
}

// Sign returns the Standard Webhooks signature of one message,
// "v1," followed by the standard base64 of HMAC-SHA256 over
// msgID + "." + ts in Unix seconds + "." + body. The HMAC key is the
// base64-decoded part of secret after its "whsec_" prefix.
func Sign(secret, msgID string, ts time.Time, body []byte) (string, error) {
	key, err := decodeSecret(secret)
	if err != nil {
		return "", err
	}
	return sign(key, msgID, strconv.FormatInt(ts.Unix(), 10), body), nil
}

func sign(key []byte, msgID, unix string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msgID))
	m.Write([]byte{'.'})
	m.Write([]byte(unix))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Headers returns the Standard Webhooks headers of one message:
// webhook-id, webhook-timestamp in Unix seconds and webhook-signature. The
// signature header holds one space-separated signature per secret, in the
// order given: the current secret first and, while a secret is being
// rotated, the previous one, so that a receiver that knows either of them
// accepts the message. Empty secrets are skipped; it is an error when none
// is left.
func Headers(msgID string, ts time.Time, body []byte, secrets ...string) (http.Header, error) {
	if msgID == "" {
		return nil, errors.New("message ID is empty")
	}
	unix := strconv.FormatInt(ts.Unix(), 10)
	var sigs []string
	for _, s := range secrets {
		if s == "" {
			continue
		}
		key, err := decodeSecret(s)
		if err != nil {
			return nil, err
		}
		sigs = append(sigs, sign(key, msgID, unix, body))
	}
	if len(sigs) == 0 {
		return nil, errors.New("no signing secret given")
	}
	h := make(http.Header, 3)
	h.Set(HeaderID, msgID)
	h.Set(HeaderTimestamp, unix)
	h.Set(HeaderSignature, strings.Join(sigs, " "))
	return h, nil
}
