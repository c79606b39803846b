package faq_test

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"openboards/internal/community"
	"openboards/internal/faq"
	"openboards/internal/openboards"
	"openboards/internal/store/postgres"
	"openboards/internal/store/postgres/pgtest"
	"openboards/internal/store/sqlite"
)

var benchTopics = flag.Int("faq-topics", 100_000, "topics BenchmarkSearch searches")

// BenchmarkSearch times FAQ searches over -faq-topics topics (100,000)
// from 8 clients at once, on SQLite, or on PostgreSQL when the suite runs
// there (pgtest.OnPostgres):
//
//	go test ./internal/faq -run '^$' -bench BenchmarkSearch -benchtime 4000x
//
// It reports the latency of one search (the service's, as the API calls
// it) at p50, p95 and p99, in milliseconds. Writing the topics takes
// minutes (both search indexes grow with them); it is done once per run.
func BenchmarkSearch(b *testing.B) {
	env := benchOnce(b)
	searchLatency(b, env)
}

type benchEnv struct {
	store openboards.Store
	svc   *faq.Service
	cm    *openboards.Community
	inst  int64
}

var (
	benchSetup sync.Once
	benchData  *benchEnv
	benchErr   error
)

const clients = 8

// benchOnce writes the corpus the first time a run asks for it; its
// files stay until the process ends.
func benchOnce(b *testing.B) *benchEnv {
	benchSetup.Do(func() { benchData, benchErr = seedBench(b) })
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchData
}

func seedBench(b *testing.B) (*benchEnv, error) {
	topics := *benchTopics
	dir, err := os.MkdirTemp("", "openboards-faq-bench")
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	var store openboards.Store
	if pgtest.OnPostgres() {
		store, err = postgres.Open(ctx, pgtest.NewSchema(b), postgres.Options{MaxConns: clients})
	} else {
		store, err = sqlite.Open(ctx, filepath.Join(dir, "faq.db"), sqlite.Options{ReadConns: clients})
	}
	if err != nil {
		return nil, err
	}
	communities, err := community.NewService(ctx, store, time.Now, "openboards.test", nil)
	if err != nil {
		return nil, err
	}
	cr, err := communities.Create(ctx, "acme")
	if err != nil {
		return nil, err
	}
	cm := cr.Community
	svc := faq.NewService(store, time.Now)
	yes := true
	inst, err := svc.CreateInstance(ctx, cm, faq.InstanceInput{Name: ptr("Help"), IsPublished: &yes})
	if err != nil {
		return nil, err
	}
	var cats []int64
	for i := range 50 {
		c, err := svc.CreateCategory(ctx, cm, inst.ID, cm.APIUserID, faq.CategoryInput{Title: ptr(fmt.Sprintf("Category %d", i)), IsPublished: &yes})
		if err != nil {
			return nil, err
		}
		cats = append(cats, c.ID)
	}
	// A corpus of topics written from a vocabulary, as a shop's help
	// centre reads.
	words := []string{"order", "refund", "return", "shipping", "delivery", "invoice", "payment", "card", "account", "password",
		"discount", "code", "warranty", "repair", "engine", "boat", "trailer", "battery", "charger", "propeller", "size", "colour",
		"exchange", "address", "tracking", "parcel", "store", "opening", "hours", "contact", "newsletter", "subscription", "cancel",
		"price", "stock", "spare", "parts", "manual", "install", "service", "insurance", "loan", "finance", "gift", "voucher"}
	rng := rand.New(rand.NewPCG(1, 2))
	sentence := func(n int) string {
		s := ""
		for i := range n {
			if i > 0 {
				s += " "
			}
			s += words[rng.IntN(len(words))]
		}
		return s
	}
	const batch = 1000
	for start := 0; start < topics; start += batch {
		err := store.InTx(ctx, func(tx openboards.Tx) error {
			for i := start; i < start+batch; i++ {
				now := time.Now().UTC()
				text := sentence(60)
				t := &openboards.FaqTopic{CommunityID: cm.ID, InstanceID: inst.ID, CategoryID: cats[i%len(cats)], Title: sentence(5),
					Content: "<p>" + text + "</p>", Text: text, IsPublished: true, Language: "en", TemplateType: "default",
					CreatorID: cm.APIUserID, CreatedAt: now, UpdatedAt: now, Attachments: []openboards.Attachment{}}
				if err := tx.CreateFaqTopic(ctx, t); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return &benchEnv{store: store, svc: svc, cm: cm, inst: inst.ID}, nil
}

func searchLatency(b *testing.B, env *benchEnv) {
	ctx, svc, cm := context.Background(), env.svc, env.cm
	queries := []string{"refund", "refun", "shipping address", "engine warranty", "boat trailer battery", "discount code", "passwrd", "opening hours"}
	pub := faq.Access{Public: true}
	b.ResetTimer()
	var mu sync.Mutex
	var lat []time.Duration
	var next int64
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			var mine []time.Duration
			for i := c; ; i += clients {
				mu.Lock()
				if next >= int64(b.N) {
					mu.Unlock()
					break
				}
				next++
				mu.Unlock()
				t0 := time.Now()
				if _, _, err := svc.Search(ctx, cm, env.inst, queries[i%len(queries)], faq.TopicQuery{Take: 10}, pub); err != nil {
					b.Error(err)
					return
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	b.StopTimer()
	slices.Sort(lat)
	q := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.95), "p95-ms")
	b.ReportMetric(q(0.99), "p99-ms")
}

func ptr[T any](v T) *T { return &v }
